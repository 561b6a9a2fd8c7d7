import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrSelectModule } from '@clr/angular/forms/select';
import { ClrModalModule } from '@clr/angular/modal';

import { CapabilitiesApi } from '../api/capabilities';
import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { GlobalView } from '../global/global-view';
import { ByteSizePipe } from '../i18n/byte-size-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { FollowedJob } from '../jobs/followed-job';
import { FollowedJobStatus } from '../jobs/followed-job-status';
import { JobStream } from '../jobs/job-stream';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { InstantRecoveriesApi, type InstantRecovery, type InstantRecoveryState, type MigrationTarget } from './instant-recoveries-api';

const STATE_LABELS: Readonly<Record<InstantRecoveryState, MessageKey>> = {
  starting: 'instant.state.starting',
  running: 'instant.state.running',
  migrating: 'instant.state.migrating',
  discarding: 'instant.state.discarding',
};

/** What the user is asked to confirm. */
type Dialog = { readonly kind: 'migrate' | 'discard'; readonly run: InstantRecovery };

/**
 * Global > Instant recoveries: every instant new instance and instant attach that runs from a
 * restore point on Lifeline's NFS datastore — its point, its VM, its state and, while a job works
 * on it, that job's progress (during a migration: the move of the disks) — with *Migrate to
 * production…* (to a datastore the user names) and *Discard…*, each confirmed with what happens.
 * The actions are offered on a run whose VM the user may restore (Lifeline's Restore privilege on
 * it, as the API demands); the server checks every call anyway, and its refusal (a datastore it
 * does not know, a privilege missing on it) stays in the dialog.
 */
@Component({
  selector: 'll-instant-recoveries',
  imports: [ByteSizePipe, ClrDatagridModule, ClrModalModule, ClrSelectModule, FollowedJobStatus, FormsModule, GlobalView, MessagePipe, ProblemAlert, VsphereDatePipe],
  templateUrl: './instant-recoveries.html',
  styles: `
    .ll-instant-disks {
      list-style: none;
      margin: 0;
      padding: 0;
      overflow-wrap: anywhere;
    }

    /* The grid gives the last column what is left: the labels wrap rather than run out of it. */
    .ll-instant-actions .btn {
      display: block;
      height: auto;
      margin: 0 0 0.3rem;
      padding: 0;
      line-height: 1.2;
      white-space: normal;
      text-align: left;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class InstantRecoveries {
  private readonly api = inject(InstantRecoveriesApi);
  private readonly capabilities = inject(CapabilitiesApi);
  private readonly stream = inject(JobStream);
  private readonly aborter = new AbortController();

  protected readonly runs = signal<readonly InstantRecovery[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  /** Whether the user may restore each run's VM, by the VM's id; absent while unknown (nothing offered). */
  protected readonly mayRestore = signal<Readonly<Record<string, boolean>>>({});
  /** The job working on each run, by run id, followed live while it runs. */
  protected readonly jobs = signal<Readonly<Record<string, FollowedJob>>>({});

  protected readonly dialog = signal<Dialog | null>(null);
  protected readonly datastore = signal('');
  /** The datastores the migration may go to, once the server listed them; null while it has not. */
  protected readonly targets = signal<readonly MigrationTarget[] | null>(null);
  protected readonly busy = signal(false);
  protected readonly dialogError = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
  }

  protected stateLabel(run: InstantRecovery): MessageKey {
    return STATE_LABELS[run.state];
  }

  protected kindLabel(run: InstantRecovery): MessageKey {
    return run.kind === 'attach' ? 'instant.kind.attach' : 'instant.kind.newInstance';
  }

  protected canAct(run: InstantRecovery): boolean {
    return run.state === 'running' && run.vm !== null && this.mayRestore()[run.vm.id] === true && !(this.jobs()[run.id]?.active() ?? false);
  }

  protected ask(kind: Dialog['kind'], run: InstantRecovery): void {
    this.dialogError.set(null);
    this.datastore.set('');
    this.targets.set(null);
    this.dialog.set({ kind, run });
    if (kind === 'migrate') {
      void this.loadTargets(run.id);
    }
  }

  private async loadTargets(runId: string): Promise<void> {
    try {
      const targets = await this.api.migrationTargets(runId, this.aborter.signal);
      if (this.dialog()?.run.id === runId) {
        this.targets.set(targets);
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.dialogError.set(e));
    }
  }

  protected close(): void {
    if (!this.busy()) {
      this.dialog.set(null);
    }
  }

  protected async confirm(): Promise<void> {
    const dialog = this.dialog();
    const datastore = this.datastore().trim();
    if (dialog === null || this.busy() || (dialog.kind === 'migrate' && datastore === '')) {
      return;
    }
    this.busy.set(true);
    this.dialogError.set(null);
    try {
      const accepted =
        dialog.kind === 'migrate' ? await this.api.migrate(dialog.run.id, datastore, this.aborter.signal) : await this.api.discard(dialog.run.id, this.aborter.signal);
      this.dialog.set(null);
      this.follow(dialog.run.id, accepted.job.id, accepted.job);
      // The list shows the run as migrating or discarding at once, and without it once it is done.
      void this.load();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.dialogError.set(e));
    } finally {
      this.busy.set(false);
    }
  }

  private follow(runId: string, jobId: string, job: Parameters<FollowedJob['follow']>[1]): void {
    let followed = this.jobs()[runId];
    if (followed === undefined) {
      followed = new FollowedJob(this.stream, this.aborter.signal);
      this.jobs.update((jobs) => ({ ...jobs, [runId]: followed! }));
    } else if (followed.job()?.id === jobId) {
      return;
    }
    followed.follow(jobId, job, () => void this.load());
  }

  private async load(): Promise<void> {
    try {
      const runs = await this.api.list(this.aborter.signal);
      this.runs.set(runs);
      this.loadError.set(null);
      for (const run of runs) {
        // A job works on the run now: its progress is shown live (also when the view opens mid-migration).
        if (run.state !== 'running' && run.jobId !== null) {
          this.follow(run.id, run.jobId, null);
        }
        if (run.vm !== null && !(run.vm.id in this.mayRestore())) {
          void this.askCapabilities(run.vm.id);
        }
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }

  private async askCapabilities(vmId: string): Promise<void> {
    this.mayRestore.update((may) => ({ ...may, [vmId]: false }));
    try {
      const caps = await this.capabilities.of(vmId, this.aborter.signal);
      this.mayRestore.update((may) => ({ ...may, [vmId]: caps.restore }));
    } catch {
      // Unknown privileges allow nothing; the server checks every call anyway.
    }
  }
}
