import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import type { Health } from '../../api/health';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError } from '../../api/lifeline-api-error';
import { MessagePipe } from '../../i18n/message-pipe';

type ServerState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly health: Health }
  | { readonly kind: 'failed'; readonly error: LifelineApiError | null };

/** Lifeline's global view in the vSphere Client. For now: is the Lifeline server up, and which version. */
@Component({
  selector: 'll-dashboard',
  imports: [ClrAlertModule, ClrSpinnerModule, MessagePipe],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Dashboard {
  private readonly state = signal<ServerState>({ kind: 'loading' });

  protected readonly loading = computed(() => this.state().kind === 'loading');
  protected readonly health = computed(() => {
    const state = this.state();
    return state.kind === 'ready' ? state.health : null;
  });
  protected readonly failure = computed(() => {
    const state = this.state();
    return state.kind === 'failed' ? { error: state.error } : null;
  });

  constructor() {
    const aborter = new AbortController();
    inject(DestroyRef).onDestroy(() => aborter.abort());
    inject(LifelineApi)
      .health(aborter.signal)
      .then(
        (health) => this.state.set({ kind: 'ready', health }),
        (error: unknown) => {
          if (aborter.signal.aborted) {
            return;
          }
          // Anything but an API error is a defect in the UI; it still ends the spinner, and the
          // global error listener reports it.
          this.state.set({ kind: 'failed', error: error instanceof LifelineApiError ? error : null });
          if (!(error instanceof LifelineApiError)) {
            throw error;
          }
        },
      );
  }
}
