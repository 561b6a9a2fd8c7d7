import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { isActiveJobState, readJob, readJobPage, type Job } from '../../api/job';
import { applyJobEvent, type JobEvent } from '../../api/job-event';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { VM_NAMES_PATH, readVmPage, vmNamesOf } from '../../api/vm-summary';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { JobKindPipe, JobTargetPipe, jobVmId } from '../../jobs/job-labels';
import { JobProgress } from '../../jobs/job-progress';
import { JobStateLabel } from '../../jobs/job-state-label';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { replicationResultOf } from '../../sites/sites-api';
import { ByteSizePipe } from '../../i18n/byte-size-pipe';
import { GlobalView } from '../global-view';

/** Jobs read at a time, newest first; older ones come a page at a time on request. */
export const JOB_PAGE_SIZE = 200;
/**
 * Queued and running jobs, read besides the newest page: a backup waiting for a slot since long
 * ago is older than the newest jobs on a busy server, and must show all the same.
 */
export const ACTIVE_JOBS_PATH = '/api/v1/jobs?state=queued,running&limit=500';

/**
 * Global > Jobs: the jobs newest first, kept live by the server's global event stream, with
 * cancel for jobs still queued or running and a detail pane with the log tail.
 */
@Component({
  selector: 'll-jobs',
  imports: [ByteSizePipe, ClrDatagridModule, VsphereDatePipe, DurationPipe, GlobalView, JobKindPipe, JobProgress, JobStateLabel, JobTargetPipe, MessagePipe, ProblemAlert],
  templateUrl: './jobs.html',
  styleUrl: './jobs.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Jobs {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();

  protected readonly jobs = signal<Job[]>([]);
  /** Jobs the server had in all when last asked; the list may hold newer ones from the stream. */
  private readonly total = signal(0);
  /** How far into the server's newest-first list the pages read so far reach. */
  private readonly pagedThrough = signal(0);
  protected readonly hasOlder = computed(() => this.pagedThrough() < this.total());
  protected readonly loadingOlder = signal(false);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly streamError = signal<LifelineApiError | null>(null);
  protected readonly actionError = signal<LifelineApiError | null>(null);
  protected readonly detail = signal<Job | null>(null);
  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly namesError = signal<LifelineApiError | null>(null);

  protected readonly isActive = isActiveJobState;
  /** What a replication job sent to the DR site, from its result. */
  protected readonly replicationResult = replicationResultOf;
  /** Jobs waiting for a slot (the backlog), among those shown. */
  protected readonly queuedCount = computed(() => this.jobs().filter((j) => j.state === 'queued').length);
  protected readonly trackJob = (_index: number, job: Job): string => job.id;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
    void this.loadNames();
    void inject(JobStream).watchAll({
      signal: this.aborter.signal,
      onEvent: (event) => this.apply(event),
      onError: (error) => this.streamError.set(error),
    });
  }

  /** A VM job's target by the name vCenter gives it. */
  protected targetName(job: Job): string | null {
    const id = jobVmId(job);
    return id === null ? null : (this.names().get(id) ?? null);
  }

  /** Seconds the job ran, or has run so far. */
  protected durationSeconds(job: Job): number | null {
    if (job.startedAt === null) {
      return null;
    }
    const end = job.finishedAt === null ? Date.now() : Date.parse(job.finishedAt);
    return Math.max(0, (end - Date.parse(job.startedAt)) / 1000);
  }

  protected async cancel(job: Job): Promise<void> {
    this.actionError.set(null);
    try {
      const after = await this.api.post(`/api/v1/jobs/${encodeURIComponent(job.id)}/cancel`, {}, readJob, this.aborter.signal);
      this.replace(after);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    }
  }

  protected async showDetail(job: Job): Promise<void> {
    this.detail.set(job);
    try {
      const full = await this.api.get(`/api/v1/jobs/${encodeURIComponent(job.id)}`, readJob, this.aborter.signal);
      if (this.detail()?.id === full.id) {
        this.detail.set(full);
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    }
  }

  private apply(event: JobEvent): void {
    this.streamError.set(null);
    if (event.type === 'resync') {
      void this.load();
      return;
    }
    const jobs = this.jobs();
    const index = jobs.findIndex((j) => j.id === event.jobId);
    if (index === -1) {
      // A job that started after the list was read; events of other unknown jobs wait for a reload.
      if (event.type === 'state' || event.type === 'snapshot') {
        this.jobs.set([event.job, ...jobs]);
      }
    } else {
      const next = [...jobs];
      next[index] = applyJobEvent(jobs[index] as Job, event);
      this.jobs.set(next);
    }
    const detail = this.detail();
    if (detail !== null && detail.id === event.jobId) {
      this.detail.set(applyJobEvent(detail, event));
    }
  }

  private replace(job: Job): void {
    this.jobs.update((jobs) => jobs.map((j) => (j.id === job.id ? job : j)));
    if (this.detail()?.id === job.id) {
      this.detail.update((detail) => (detail === null ? null : { ...job, logTail: detail.logTail }));
    }
  }

  private async load(): Promise<void> {
    this.loading.set(true);
    try {
      const [page, active] = await Promise.all([
        this.api.get(`/api/v1/jobs?limit=${JOB_PAGE_SIZE}`, readJobPage, this.aborter.signal),
        this.api.get(ACTIVE_JOBS_PATH, readJobPage, this.aborter.signal),
      ]);
      const onPage = new Set(page.items.map((j) => j.id));
      this.jobs.set([...active.items.filter((j) => !onPage.has(j.id)), ...page.items]);
      this.total.set(page.total);
      this.pagedThrough.set(page.items.length);
      this.loadError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }

  /**
   * The next page of older jobs. Jobs started since the first page push the older ones further
   * down the server's list, so a page may repeat jobs already shown, never skip one; repeats are
   * dropped.
   */
  protected async loadOlder(): Promise<void> {
    this.loadingOlder.set(true);
    try {
      const offset = this.pagedThrough();
      const page = await this.api.get(`/api/v1/jobs?offset=${offset}&limit=${JOB_PAGE_SIZE}`, readJobPage, this.aborter.signal);
      const shown = new Set(this.jobs().map((j) => j.id));
      this.jobs.update((jobs) => [...jobs, ...page.items.filter((j) => !shown.has(j.id))]);
      this.total.set(page.total);
      this.pagedThrough.set(offset + page.items.length);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    } finally {
      this.loadingOlder.set(false);
    }
  }

  private async loadNames(): Promise<void> {
    try {
      this.names.set(vmNamesOf(await this.api.get(VM_NAMES_PATH, readVmPage, this.aborter.signal)));
    } catch (error: unknown) {
      // Without names, VMs show by their ids, and the view says why.
      reportApiError(error, this.aborter.signal, (e) => this.namesError.set(e));
    }
  }
}
