import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, output, signal, viewChild } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrCheckboxModule } from '@clr/angular/forms/checkbox';
import { ClrInputModule } from '@clr/angular/forms/input';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';
import { ClrWizard, ClrWizardModule } from '@clr/angular/wizard';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import type { MessageKey } from '../i18n/messages-en-us';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { applyServerSettingsErrors, createReplicationSettingsForm, replicationSettingsOf } from './replication-settings-form';
import { ReplicationSettingsFields } from './replication-settings-fields';
import { SITE_ERROR_CODES, SitesApi } from './sites-api';
import type { Peer, ReplicationSettings, SiteProbe } from './sites-api.types';

/** The port a site listener takes when its configuration names none. */
export const DEFAULT_SITE_PORT = 8543;

/**
 * The address of a DR site's listener as an administrator types it ("dr.example.com",
 * "dr.example.com:9443", "https://dr.example.com:8543") as https://host:port; null when it is not
 * an address a site listens on.
 */
export function siteUrlOf(typed: string): string | null {
  const text = typed.trim();
  if (text === '') {
    return null;
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return null;
  }
  return `https://${url.hostname}:${url.port === '' ? DEFAULT_SITE_PORT : url.port}`;
}

/** What the wizard adds to the server's message for the refusals an administrator can act on. */
const ADVICE: Readonly<Record<string, MessageKey>> = {
  [SITE_ERROR_CODES.codeInvalid]: 'sites.pair.advice.code',
  [SITE_ERROR_CODES.thumbprintMismatch]: 'sites.pair.advice.thumbprint',
  [SITE_ERROR_CODES.unreachable]: 'sites.pair.advice.unreachable',
  [SITE_ERROR_CODES.notASite]: 'sites.pair.advice.unreachable',
  [SITE_ERROR_CODES.alreadyPaired]: 'sites.pair.advice.paired',
};

/**
 * Sites > Pair a site, on the production site: the DR site's address; the certificate thumbprint
 * that address presents, for the administrator to compare with the one the DR site shows under
 * Allow pairing, and the pairing code from there; the replication settings; a summary, and then
 * the pairing. The server checks the code against the thumbprint; whatever it refuses is shown on
 * the summary with its own message.
 */
@Component({
  selector: 'll-pair-wizard',
  imports: [ClrCheckboxModule, ClrInputModule, ClrSpinnerModule, ClrWizardModule, FormsModule, MessagePipe, ProblemAlert, ReplicationSettingsFields],
  templateUrl: './pair-wizard.html',
  styleUrl: './sites-identity.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PairWizard {
  private readonly sites = inject(SitesApi);
  private readonly aborter = new AbortController();
  private readonly wizard = viewChild(ClrWizard);
  private readonly fields = viewChild(ReplicationSettingsFields);
  readonly paired = output<Peer>();
  readonly closed = output();

  protected readonly address = signal('');
  protected readonly url = computed(() => siteUrlOf(this.address()));
  protected readonly addressTouched = signal(false);
  protected readonly probing = signal(false);
  protected readonly probeError = signal<LifelineApiError | null>(null);
  protected readonly probe = signal<SiteProbe | null>(null);

  protected readonly thumbprintConfirmed = signal(false);
  protected readonly code = signal('');
  protected readonly identityReady = computed(() => this.probe() !== null && this.thumbprintConfirmed() && this.code().trim() !== '');

  protected readonly form = createReplicationSettingsForm();
  private readonly formStatus = signal(this.form.status);
  protected readonly settingsValid = computed(() => this.formStatus() === 'VALID');
  /** The settings as the summary shows them and the request sends them. */
  protected readonly settings = signal<ReplicationSettings | null>(null);

  private readonly messages = inject(Messages);
  /** "40 MB/s; 10 MB/s from 22:00 to 06:00", "No limit". */
  protected readonly bandwidthSummary = computed(() => {
    const s = this.settings();
    if (s === null) {
      return '';
    }
    const limit = s.bandwidthMBps === null ? this.messages.text('sites.settings.unlimited') : this.messages.text('sites.mbps', { n: s.bandwidthMBps });
    const w = s.window;
    return w === null ? limit : limit + this.messages.text('sites.settings.window.summary', { from: w.from, to: w.to, n: w.bandwidthMBps });
  });

  protected readonly submitting = signal(false);
  protected readonly submitError = signal<LifelineApiError | null>(null);
  protected readonly advice = computed(() => {
    const code = this.submitError()?.code;
    return code === undefined ? null : (ADVICE[code] ?? null);
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    this.form.statusChanges.subscribe((status) => this.formStatus.set(status));
  }

  protected setAddress(value: string): void {
    this.address.set(value);
    // Another address is another site: what was confirmed for the last one no longer holds.
    this.probe.set(null);
    this.thumbprintConfirmed.set(false);
    this.probeError.set(null);
  }

  /** Page 1 → 2: asks the server what the address presents; stays on page 1 with the reason if it cannot. */
  protected async askProbe(): Promise<void> {
    this.addressTouched.set(true);
    const url = this.url();
    if (url === null || this.probing()) {
      return;
    }
    this.probing.set(true);
    this.probeError.set(null);
    try {
      const probe = await this.sites.probe(url, this.aborter.signal);
      if (this.probe()?.thumbprint !== probe.thumbprint) {
        this.thumbprintConfirmed.set(false);
      }
      this.probe.set(probe);
      this.wizard()?.forceNext();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.probeError.set(e));
    } finally {
      this.probing.set(false);
    }
  }

  /** Page 3 → 4: only valid settings go on to the summary. */
  protected confirmSettings(): void {
    if (this.form.invalid) {
      this.fields()?.showErrors();
      return;
    }
    this.settings.set(replicationSettingsOf(this.form));
    this.submitError.set(null);
    this.wizard()?.forceNext();
  }

  protected async submit(): Promise<void> {
    const probe = this.probe();
    const settings = this.settings();
    if (probe === null || settings === null || this.submitting()) {
      return;
    }
    this.submitting.set(true);
    this.submitError.set(null);
    try {
      const peer = await this.sites.pair({ url: probe.url, thumbprint: probe.thumbprint, code: this.code().trim(), settings }, this.aborter.signal);
      this.paired.emit(peer);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => {
        applyServerSettingsErrors(this.form, e.errors);
        this.submitError.set(e);
      });
    } finally {
      this.submitting.set(false);
    }
  }
}
