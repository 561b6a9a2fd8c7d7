import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrProgressBarModule } from '@clr/angular/progress/progress-bars';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { COMPLIANCE_PATH, complianceCounts, drComplianceCounts, drMisses, infeasibleVms, readCompliancePage, type VmCompliance, type VmComplianceReplication } from '../../api/compliance';
import type { Health } from '../../api/health';
import { isActiveJobState, readJobPage, type Job } from '../../api/job';
import { applyJobEvent, type JobEvent } from '../../api/job-event';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { BACKUP_UNAVAILABLE_CODE, STORAGE_PATH, capacityLevel, readStorageFigures, type StorageFigures } from '../../api/storage';
import { VM_NAMES_PATH, readVmPage, vmNamesOf } from '../../api/vm-summary';
import { ByteSizePipe } from '../../i18n/byte-size-pipe';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import type { MessageKey } from '../../i18n/messages-en-us';
import { Messages } from '../../i18n/messages';
import { JobKindPipe, JobTargetPipe, jobVmId } from '../../jobs/job-labels';
import { JobProgress } from '../../jobs/job-progress';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { RpoStatusLabel } from '../../rpo/rpo-status-label';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { LinkStateLabel } from '../../sites/link-state-label';
import { SitesApi } from '../../sites/sites-api';
import type { Peer } from '../../sites/sites-api.types';
import { GlobalView } from '../global-view';
import { compareBySeverity } from '../protected-vms/protected-vms';
import { DataAddedChart } from './data-added-chart';

const DR_STATE_LABELS: Readonly<Record<VmComplianceReplication['state'], { readonly text: MessageKey; readonly css: string }>> = {
  ok: { text: 'vmReplication.state.ok', css: 'label-success' },
  lagging: { text: 'vmReplication.state.lagging', css: 'label-warning' },
  failing: { text: 'vmReplication.state.failing', css: 'label-danger' },
  'site-not-paired': { text: 'vmReplication.state.siteNotPaired', css: 'label-danger' },
};
/** Worst first: no copy can be made, then the copy's replication fails, then it only lags. */
const DR_SEVERITY: Readonly<Record<VmComplianceReplication['state'], number>> = { 'site-not-paired': 0, failing: 1, lagging: 2, ok: 3 };

type ServerState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly health: Health }
  | { readonly kind: 'failed'; readonly error: LifelineApiError | null };

/** The queued and running jobs; more than a page of them is shown as the total only. */
const ACTIVE_JOBS_PATH = '/api/v1/jobs?state=queued,running&limit=100';
/** As many VMs and jobs as a tile lists; the Protected VMs and Jobs pages have the rest. */
export const TILE_ROWS = 5;

/**
 * Lifeline's global dashboard: how many VMs are protected and how they stand against their RPO
 * (the worst named) and, for the VMs whose policy names a DR site, how many meet their RPO at the
 * DR site (those that do not named), the jobs running now with live progress, whether the server is up, and
 * what the backup store holds: stored and logical size, what deduplication and compression save,
 * a chart of the data added on each of the last 30 days, and how full the store's file system is,
 * with a warning as it nears the reserve below which the server refuses new backups. The storage
 * figures are read when the dashboard opens (the server keeps them for half a minute, as every open
 * dashboard asks); a server without a backup store has none, which the tile says without calling
 * it a failure.
 */
@Component({
  selector: 'll-dashboard',
  imports: [
    ByteSizePipe,
    ClrAlertModule,
    ClrProgressBarModule,
    ClrSpinnerModule,
    DataAddedChart,
    DurationPipe,
    GlobalView,
    JobKindPipe,
    JobProgress,
    JobTargetPipe,
    LinkStateLabel,
    MessagePipe,
    ProblemAlert,
    RouterLink,
    RpoStatusLabel,
  ],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Dashboard {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();
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

  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly namesError = signal<LifelineApiError | null>(null);
  private readonly complianceItems = signal<readonly VmCompliance[] | null>(null);
  protected readonly complianceError = signal<LifelineApiError | null>(null);
  protected readonly protectedCount = computed(() => this.complianceItems()?.length ?? null);
  protected readonly counts = computed(() => complianceCounts(this.complianceItems() ?? []));
  /**
   * VMs that cannot meet their RPO with their measured backup durations and the configured job
   * slots, and the best RPO the worst of them allows: said before the RPO is missed.
   */
  protected readonly infeasible = computed(() => {
    const vms = infeasibleVms(this.complianceItems() ?? []);
    const best = Math.max(0, ...vms.map((v) => v.feasibility.bestRpoSeconds ?? 0));
    // In whole minutes, up, as policies set their RPO: "2 min" would promise less than 160 s allows.
    return { count: vms.length, bestRpoSeconds: Math.ceil(best / 60) * 60 };
  });
  protected readonly pausedCount = computed(() => (this.complianceItems() ?? []).filter((c) => c.paused).length);
  /** The VMs furthest from their RPO, by name. */
  protected readonly attention = computed(() =>
    (this.complianceItems() ?? [])
      .filter((c) => c.status !== 'compliant')
      .sort(compareBySeverity)
      .slice(0, TILE_ROWS)
      .map((c) => ({ ...c, name: this.names().get(c.vm.id) ?? c.vm.moref })),
  );

  /** The replicated VMs (their policy names a DR site): how many meet their RPO there and how many do not. */
  protected readonly drCounts = computed(() => drComplianceCounts(this.complianceItems() ?? []));
  /** The replicated VMs whose copy at the DR site misses their RPO, worst first, by name. */
  protected readonly drAttention = computed(() =>
    drMisses(this.complianceItems() ?? [])
      .sort((a, b) => DR_SEVERITY[a.replication.state] - DR_SEVERITY[b.replication.state] || (b.replication.lagSeconds ?? Infinity) - (a.replication.lagSeconds ?? Infinity))
      .slice(0, TILE_ROWS)
      .map((c) => ({ ...c, name: this.names().get(c.vm.id) ?? c.vm.moref, label: DR_STATE_LABELS[c.replication.state] })),
  );

  private readonly activeJobs = signal<readonly Job[] | null>(null);
  /** Active jobs beyond the page read at first are counted, not listed. */
  private readonly activeBeyondPage = signal(0);
  protected readonly jobsError = signal<LifelineApiError | null>(null);
  protected readonly streamError = signal<LifelineApiError | null>(null);
  protected readonly activeCount = computed(() => {
    const jobs = this.activeJobs();
    return jobs === null ? null : jobs.length + this.activeBeyondPage();
  });
  protected readonly shownJobs = computed(() => (this.activeJobs() ?? []).slice(0, TILE_ROWS));

  /** The DR sites this site replicates to; null until known. */
  protected readonly drSites = signal<readonly Peer[] | null>(null);
  protected readonly drError = signal<LifelineApiError | null>(null);
  /** Restore points waiting to be replicated, over every DR site. */
  protected readonly drBacklog = computed(() => (this.drSites() ?? []).reduce((n, peer) => n + (peer.link?.backlogPoints ?? 0), 0));
  private readonly sites = inject(SitesApi);

  protected readonly storage = signal<StorageFigures | null>(null);
  /** The server has no backup store, so there are no figures; not an error. */
  protected readonly storageUnavailable = signal(false);
  protected readonly storageError = signal<LifelineApiError | null>(null);
  /** The store's file system with its used share (0 to 100) and how close to full it is; null without a bound. */
  protected readonly capacity = computed(() => {
    const capacity = this.storage()?.capacity ?? null;
    if (capacity === null) {
      return null;
    }
    const { totalBytes, freeBytes } = capacity;
    const usedPercent = totalBytes > 0 ? Math.min(100, Math.max(0, Math.round(((totalBytes - freeBytes) / totalBytes) * 100))) : 100;
    return { ...capacity, usedPercent, level: capacityLevel(capacity) };
  });
  private readonly messages = inject(Messages);
  private readonly ratioFormat = new Intl.NumberFormat(inject(HtmlClientSdkService).locale(), { maximumFractionDigits: 1 });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.loadHealth();
    void this.loadNames();
    void this.loadCompliance();
    void this.loadJobs();
    void this.loadStorage();
    void this.loadSites();
    void inject(JobStream).watchAll({
      signal: this.aborter.signal,
      onEvent: (event) => this.apply(event),
      onError: (error) => this.streamError.set(error),
    });
  }

  /** A deduplication or compression ratio: "2.5×". */
  protected ratio(n: number): string {
    return this.messages.text('dashboard.storage.ratio', { n: this.ratioFormat.format(n) });
  }

  /** A VM job's target by the name vCenter gives it. */
  protected targetName(job: Job): string | null {
    const id = jobVmId(job);
    return id === null ? null : (this.names().get(id) ?? null);
  }

  private apply(event: JobEvent): void {
    this.streamError.set(null);
    if (event.type === 'resync') {
      void this.loadJobs();
      void this.loadCompliance();
      return;
    }
    const jobs = this.activeJobs();
    if (jobs === null) {
      return;
    }
    const index = jobs.findIndex((j) => j.id === event.jobId);
    if (event.type === 'state' || event.type === 'snapshot') {
      const rest = jobs.filter((j) => j.id !== event.jobId);
      if (isActiveJobState(event.job.state)) {
        const job = index === -1 ? event.job : applyJobEvent(jobs[index] as Job, event);
        this.activeJobs.set(index === -1 ? [job, ...rest] : jobs.map((j) => (j.id === job.id ? job : j)));
      } else if (index !== -1) {
        this.activeJobs.set(rest);
        // A job that ended may have made a restore point, which moves the RPO compliance.
        void this.loadCompliance();
      }
      return;
    }
    if (index !== -1) {
      this.activeJobs.set(jobs.map((j) => (j.id === event.jobId ? applyJobEvent(j, event) : j)));
    }
  }

  private async loadHealth(): Promise<void> {
    try {
      this.state.set({ kind: 'ready', health: await this.api.health(this.aborter.signal) });
    } catch (error: unknown) {
      if (this.aborter.signal.aborted) {
        return;
      }
      // Anything but an API error is a defect in the UI; it still ends the spinner, and the
      // global error listener reports it.
      this.state.set({ kind: 'failed', error: error instanceof LifelineApiError ? error : null });
      if (!(error instanceof LifelineApiError)) {
        throw error;
      }
    }
  }

  private async loadNames(): Promise<void> {
    try {
      this.names.set(vmNamesOf(await this.api.get(VM_NAMES_PATH, readVmPage, this.aborter.signal)));
    } catch (error: unknown) {
      // Without names the tiles show VMs by their ids, and say why.
      reportApiError(error, this.aborter.signal, (e) => this.namesError.set(e));
    }
  }

  private async loadCompliance(): Promise<void> {
    try {
      const page = await this.api.get(COMPLIANCE_PATH, readCompliancePage, this.aborter.signal);
      this.complianceItems.set(page.items);
      this.complianceError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.complianceError.set(e));
    }
  }

  private async loadJobs(): Promise<void> {
    try {
      const page = await this.api.get(ACTIVE_JOBS_PATH, readJobPage, this.aborter.signal);
      this.activeJobs.set(page.items);
      this.activeBeyondPage.set(Math.max(0, page.total - page.items.length));
      this.jobsError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.jobsError.set(e));
    }
  }

  private async loadSites(): Promise<void> {
    try {
      this.drSites.set((await this.sites.sites(this.aborter.signal)).peers.filter((peer) => peer.role === 'target'));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.drError.set(e));
    }
  }

  private async loadStorage(): Promise<void> {
    try {
      this.storage.set(await this.api.get(STORAGE_PATH, readStorageFigures, this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => (e.code === BACKUP_UNAVAILABLE_CODE ? this.storageUnavailable.set(true) : this.storageError.set(e)));
    }
  }
}
