import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { GlobalView } from '../global/global-view';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { FollowedJob } from '../jobs/followed-job';
import { FollowedJobStatus } from '../jobs/followed-job-status';
import { JobStream } from '../jobs/job-stream';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { CLOCK } from '../sites/clock';
import { SitesApi } from '../sites/sites-api';
import { DrApi, NO_DR_FEATURES, type DrFeatures } from './dr-api';
import type { PlanRunWithFailovers, RecoveryPlan, ReplicatedVm, RootCapabilities } from './dr-api.types';
import { DrConfirm, type DrAction } from './dr-confirm';
import { FailoverReport, REPORT_REFRESH_SECONDS } from './failover-report';
import { PlanFailbackReport } from './plan-failback-report';
import { PlanForm } from './plan-form';

/** A plan's last run of a mode (its runs come newest first; failbacks left out), or null. */
export function lastRun(plan: RecoveryPlan, mode: string): PlanRunWithFailovers | null {
  return plan.runs.find((r) => r.mode === mode && !r.failback) ?? null;
}

/** What a run was, as the list names it. */
export function runModeKey(run: PlanRunWithFailovers): MessageKey {
  return run.failback ? 'dr.mode.failback' : run.mode === 'test' ? 'dr.mode.test' : run.mode === 'planned' ? 'dr.mode.planned' : 'dr.mode.disaster';
}

/**
 * Global > Recovery plans, at the DR site: the plans with their groups and last run; create, edit
 * and delete (Lifeline Admin); Test, Clean up and Fail over (Lifeline Restore), and Planned
 * migration and Fail back when the server offers them, each after a confirmation that names the
 * mode and what it does (a failback: onto the original VMs or as new ones); the run's progress
 * and its cancel; and the last drill's, the last failover's and the last failback's reports of
 * the plan chosen. A user without a privilege sees its buttons disabled with the reason.
 */
@Component({
  selector: 'll-recovery-plans',
  imports: [ClrAlertModule, ClrDatagridModule, DrConfirm, FailoverReport, FollowedJobStatus, GlobalView, MessagePipe, PlanFailbackReport, PlanForm, ProblemAlert, VsphereDatePipe],
  templateUrl: './recovery-plans.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RecoveryPlans {
  private readonly api = inject(DrApi);
  private readonly sitesApi = inject(SitesApi);
  private readonly messages = inject(Messages);
  private readonly clock = inject(CLOCK);
  private readonly aborter = new AbortController();

  protected readonly plans = signal<RecoveryPlan[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly caps = signal<RootCapabilities | null>(null);
  protected readonly features = signal<DrFeatures>(NO_DR_FEATURES);
  /** The production sites replicating here, by id. */
  protected readonly sites = signal<readonly { id: string; name: string }[]>([]);
  /** Replicated VMs of every source site, by VM id. */
  private readonly vmsById = signal<Readonly<Record<string, ReplicatedVm>>>({});

  protected readonly selectedId = signal<string | null>(null);
  protected readonly selected = computed(() => this.plans().find((p) => p.id === this.selectedId()) ?? this.plans()[0] ?? null);
  protected readonly lastDrill = computed(() => {
    const p = this.selected();
    return p === null ? null : lastRun(p, 'test');
  });
  protected readonly lastFailover = computed(() => {
    const p = this.selected();
    return p === null ? null : (p.runs.find((r) => r.mode !== 'test' && !r.failback) ?? null);
  });
  protected readonly lastFailback = computed(() => {
    const p = this.selected();
    return p === null ? null : (p.runs.find((r) => !!r.failback) ?? null);
  });
  protected readonly modeKey = runModeKey;

  protected readonly editing = signal<RecoveryPlan | 'new' | null>(null);
  protected readonly done = signal<string | null>(null);
  protected readonly asking = signal<{ action: DrAction; plan: RecoveryPlan; lossSeconds: number | null; pointAt: string | null } | null>(null);
  /** The confirmation's choice for a failback: onto the original VMs or as new ones. */
  protected readonly failbackTarget = signal<'original' | 'new'>('original');
  protected readonly cancelling = signal(false);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<LifelineApiError | null>(null);
  protected readonly job = new FollowedJob(inject(JobStream), this.aborter.signal);

  protected readonly canAdmin = computed(() => this.caps()?.admin === true);
  protected readonly canRestore = computed(() => this.caps()?.restore === true);

  private reading = false;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
    // While a run or clean-up goes on, its steps' records are read again: the report is live.
    let seconds = 0;
    const stop = this.clock.everySecond(() => {
      // Counted from the job's start, not from whenever the view opened.
      seconds = this.job.active() ? seconds + 1 : 0;
      if (seconds >= REPORT_REFRESH_SECONDS && this.job.active() && !this.reading) {
        seconds = 0;
        void this.load();
      }
    });
    inject(DestroyRef).onDestroy(stop);
    void this.api.capabilities(this.aborter.signal).then(
      (caps) => this.caps.set(caps),
      // Unknown privileges allow nothing; every call is checked by the server anyway.
      () => undefined,
    );
    void this.api.features(this.aborter.signal).then(
      (f) => this.features.set(f),
      () => undefined,
    );
  }

  protected siteName(id: string): string {
    return this.sites().find((s) => s.id === id)?.name ?? id;
  }

  protected vmNames(plan: RecoveryPlan, group: number): string {
    return (plan.groups[group]?.vms ?? []).map((id) => this.vmsById()[id]?.vm.name ?? id).join(', ');
  }

  protected vmCount(plan: RecoveryPlan): number {
    return plan.groups.reduce((n, g) => n + g.vms.length, 0);
  }

  protected flat(run: PlanRunWithFailovers): PlanRunWithFailovers['failovers'][number] {
    return run.failovers.flat();
  }

  /** Why an admin action is disabled, or null. */
  protected adminBlocked(): string | null {
    return this.canAdmin() ? null : this.messages.text('dr.needsAdmin');
  }

  protected restoreBlocked(): string | null {
    return this.canRestore() ? null : this.messages.text('dr.needsRestore');
  }

  protected cleanupBlocked(plan: RecoveryPlan): string | null {
    const blocked = this.restoreBlocked();
    if (blocked !== null) {
      return blocked;
    }
    const last = plan.runs[0];
    return last?.mode === 'test' && this.flat(last).some((f) => f.state === 'up') ? null : this.messages.text('dr.plans.nothingToCleanUp');
  }

  protected saved(plan: RecoveryPlan): void {
    this.editing.set(null);
    this.selectedId.set(plan.id);
    this.done.set(this.messages.text('dr.plans.saved', { name: plan.name }));
    void this.load();
  }

  protected ask(plan: RecoveryPlan, action: DrAction): void {
    this.actionError.set(null);
    let lossSeconds: number | null = null;
    let pointAt: string | null = null;
    if (action === 'disaster') {
      // The window is the largest of the plan's VMs: now − the oldest of their latest points.
      for (const id of plan.groups.flatMap((g) => g.vms)) {
        const at = this.vmsById()[id]?.latestPoint?.createdAt;
        if (at !== undefined) {
          const loss = Math.max(0, Math.round((this.clock.now() - Date.parse(at)) / 1000));
          if (lossSeconds === null || loss > lossSeconds) {
            lossSeconds = loss;
            pointAt = at;
          }
        }
      }
    }
    this.failbackTarget.set('original');
    this.asking.set({ action, plan, lossSeconds, pointAt });
  }

  /** Cancels the followed run: no further VM starts; what is under way is undone, what is done stays. */
  protected async cancelRun(): Promise<void> {
    const job = this.job.job();
    if (job === null) {
      return;
    }
    this.cancelling.set(true);
    this.actionError.set(null);
    try {
      await this.api.cancelJob(job.id, this.aborter.signal);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    } finally {
      this.cancelling.set(false);
    }
  }

  protected async confirm(): Promise<void> {
    const a = this.asking();
    if (a === null) {
      return;
    }
    this.busy.set(true);
    this.actionError.set(null);
    try {
      if (a.action === 'delete') {
        await this.api.deletePlan(a.plan.id, this.aborter.signal);
        this.asking.set(null);
        this.done.set(this.messages.text('dr.plans.deleted', { name: a.plan.name }));
        await this.load();
        return;
      }
      const accepted =
        a.action === 'cleanup'
          ? await this.api.cleanUpPlan(a.plan.id, this.aborter.signal)
          : a.action === 'failback'
            ? await this.api.failBackPlan(a.plan.id, { target: this.failbackTarget() }, this.aborter.signal)
            : await this.api.runPlan(a.plan.id, a.action, this.aborter.signal);
      this.asking.set(null);
      this.selectedId.set(a.plan.id);
      this.job.follow(accepted.job.id, accepted.job, () => void this.load());
      await this.load();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    this.reading = true;
    try {
      const [plans, sites] = await Promise.all([this.api.plans(this.aborter.signal), this.sitesApi.sites(this.aborter.signal)]);
      const sources = sites.peers.filter((p) => p.role === 'source').map((p) => ({ id: p.id, name: p.name }));
      this.sites.set(sources);
      const vms: Record<string, ReplicatedVm> = {};
      for (const s of sources) {
        for (const vm of await this.api.replicatedVms(s.id, this.aborter.signal)) {
          vms[vm.vm.id] = vm;
        }
      }
      this.vmsById.set(vms);
      this.plans.set([...plans]);
      this.loadError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.reading = false;
      this.loading.set(false);
    }
  }
}
