import { ChangeDetectionStrategy, Component, DestroyRef, inject, output, signal } from '@angular/core';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { CopyButton } from './copy-button';
import { Countdown } from './countdown';
import { SitesApi } from './sites-api';
import type { PairingCode } from './sites-api.types';

/**
 * Sites > Allow pairing, on the DR site: asks the server for a one-time pairing code and shows it
 * with its remaining validity and this site's thumbprint, for the production site's
 * administrator to enter in Pair a site. The code is shown once: closing the dialog forgets it,
 * and an expired code is no longer shown.
 */
@Component({
  selector: 'll-allow-pairing',
  imports: [ClrModalModule, ClrSpinnerModule, CopyButton, Countdown, MessagePipe, ProblemAlert],
  templateUrl: './allow-pairing.html',
  styleUrl: './sites-identity.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AllowPairing {
  private readonly sites = inject(SitesApi);
  private readonly aborter = new AbortController();
  protected readonly messages = inject(Messages);
  readonly closed = output();

  protected readonly code = signal<PairingCode | null>(null);
  protected readonly expired = signal(false);
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.ask();
  }

  protected onExpired(): void {
    this.expired.set(true);
  }

  private async ask(): Promise<void> {
    try {
      this.code.set(await this.sites.allowPairing(this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
