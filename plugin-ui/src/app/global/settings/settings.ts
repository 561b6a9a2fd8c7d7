import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { readJobAccepted } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { SETTINGS_PATH, readServerSettings, type ServerSettings } from '../../api/settings';
import { DurationPipe } from '../../i18n/duration-pipe';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { MessagePipe } from '../../i18n/message-pipe';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { GlobalView } from '../global-view';
import { SettingsNav } from '../../notifications/settings-nav';

/** Runs repository maintenance now (Lifeline's Admin privilege). */
export const MAINTENANCE_PATH = '/api/v1/maintenance';

type SettingsState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly settings: ServerSettings }
  /** The user lacks Lifeline's Admin privilege: said as what to ask for, not as a failure. */
  | { readonly kind: 'forbidden'; readonly error: LifelineApiError }
  | { readonly kind: 'failed'; readonly error: LifelineApiError };

/**
 * Global > Settings: the Lifeline server's settings as an administrator needs to see them (version,
 * directories, encryption, vCenters, sessions, job limits, its URL and certificate), read-only,
 * with what the server warns about on top. The server answers only users with Lifeline's Admin
 * privilege; others are told which privilege they need. With a store, the administrator can also
 * run the daily repository maintenance (retention, garbage collection, verification) at once.
 */
@Component({
  selector: 'll-settings',
  imports: [ClrAlertModule, VsphereDatePipe, ClrSpinnerModule, DurationPipe, FollowedJobStatus, GlobalView, MessagePipe, ProblemAlert, SettingsNav],
  templateUrl: './settings.html',
  styleUrl: './settings.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Settings {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();
  private readonly state = signal<SettingsState>({ kind: 'loading' });

  protected readonly loading = computed(() => this.state().kind === 'loading');
  protected readonly settings = computed(() => {
    const state = this.state();
    return state.kind === 'ready' ? state.settings : null;
  });
  protected readonly forbidden = computed(() => {
    const state = this.state();
    return state.kind === 'forbidden' ? state.error : null;
  });
  protected readonly error = computed(() => {
    const state = this.state();
    return state.kind === 'failed' ? state.error : null;
  });
  protected readonly keyClassLimits = computed(() =>
    Object.entries(this.settings()?.jobLimits.perKeyClass ?? {})
      .map(([keyClass, limit]) => ({ keyClass, limit }))
      .sort((a, b) => a.keyClass.localeCompare(b.keyClass)),
  );

  /** The maintenance run started from here, followed live. */
  protected readonly maintenance = new FollowedJob(inject(JobStream), this.aborter.signal);
  protected readonly maintenanceStarting = signal(false);
  protected readonly maintenanceError = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
  }

  protected async runMaintenance(): Promise<void> {
    this.maintenanceStarting.set(true);
    this.maintenanceError.set(null);
    try {
      const { job } = await this.api.post(MAINTENANCE_PATH, {}, readJobAccepted, this.aborter.signal);
      this.maintenance.follow(job.id, job);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.maintenanceError.set(e));
    } finally {
      this.maintenanceStarting.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.state.set({ kind: 'ready', settings: await this.api.get(SETTINGS_PATH, readServerSettings, this.aborter.signal) });
    } catch (error: unknown) {
      if (this.aborter.signal.aborted) {
        return;
      }
      if (!(error instanceof LifelineApiError)) {
        throw error;
      }
      this.state.set(error.status === 403 ? { kind: 'forbidden', error } : { kind: 'failed', error });
    }
  }
}
