import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrSelectModule } from '@clr/angular/forms/select';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { CapabilitiesApi, type ViewCapabilities } from '../../api/capabilities';
import { readJobAccepted, type Job } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError } from '../../api/lifeline-api-error';
import { readPolicyPage, type Policy } from '../../api/policy';
import { readVmProtection, vmPath, type VmProtection as Protection } from '../../api/vm-protection';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { RpoStatusLabel } from '../../rpo/rpo-status-label';
import { contextObjectId } from '../../sdk/context-object-id';
import { VmReplicationStateView } from '../../sites/vm-replication-state';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { VmView } from '../vm-view';
import { VmRecentEvents } from './vm-recent-events';

type LoadState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly protection: Protection }
  | { readonly kind: 'failed'; readonly error: LifelineApiError };

/** Policies a server can hold are few; one page of the largest size holds them all. */
const POLICY_PAGE = '/api/v1/policies?limit=1000';

/**
 * The VM's Configure > Lifeline tab: which policy protects it, how it stands against its RPO,
 * and the actions a protecting user takes here: assign or change the policy, remove protection,
 * and back up now with the backup's live progress.
 */
@Component({
  selector: 'll-vm-protection',
  imports: [
    ClrAlertModule,
    ClrModalModule,
    ClrSelectModule,
    ClrSpinnerModule,
    DatePipe,
    DurationPipe,
    FollowedJobStatus,
    FormsModule,
    MessagePipe,
    ProblemAlert,
    RpoStatusLabel,
    VmRecentEvents,
    VmReplicationStateView,
    VmView,
  ],
  templateUrl: './vm-protection.html',
  styleUrl: './vm-protection.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmProtection {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();
  protected readonly vmId: string | null;

  private readonly state = signal<LoadState>({ kind: 'loading' });
  protected readonly loading = computed(() => this.state().kind === 'loading');
  protected readonly loadError = computed(() => {
    const state = this.state();
    return state.kind === 'failed' ? state.error : null;
  });
  protected readonly protection = computed(() => {
    const state = this.state();
    return state.kind === 'ready' ? state.protection : null;
  });

  protected readonly policies = signal<readonly Policy[]>([]);
  protected readonly policiesError = signal<LifelineApiError | null>(null);
  protected readonly selectedPolicyId = signal('');
  /** The full policy of the VM, for what the protection answer does not repeat (consistency). */
  protected readonly policy = computed(() => {
    const id = this.protection()?.policy?.id;
    return this.policies().find((p) => p.id === id) ?? null;
  });
  /** The VM's id when its policy replicates to a DR site, whose copy the tab then shows. */
  protected readonly replicatedVmId = computed(() => (this.protection()?.protected === true && (this.policy()?.replicationSite ?? null) !== null ? this.vmId : null));
  protected readonly canAssign = computed(() => {
    const selected = this.selectedPolicyId();
    return !this.busy() && selected !== '' && selected !== this.protection()?.policy?.id;
  });

  protected readonly busy = signal(false);
  protected readonly actionError = signal<LifelineApiError | null>(null);
  protected readonly confirmingRemove = signal(false);

  /** The backup this VM has running, or the last one started here. */
  protected readonly backup = new FollowedJob(inject(JobStream), this.aborter.signal);
  protected readonly job = this.backup.job;
  protected readonly jobActive = this.backup.active;
  protected readonly canBackUp = computed(() => {
    const protection = this.protection();
    return protection !== null && protection.backupAvailable && protection.protected && !this.busy() && !this.jobActive();
  });

  /** Assigning, removing and backing up are offered only to users with Lifeline's Protect privilege. */
  protected readonly can: ViewCapabilities;

  constructor() {
    const vm = inject(HtmlClientSdkService).contextVm();
    this.vmId = vm === null ? null : contextObjectId(vm);
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    this.can = inject(CapabilitiesApi).forView(this.vmId, this.aborter.signal);
    if (this.vmId !== null) {
      void this.load();
      void this.loadPolicies();
    }
  }

  protected async assign(): Promise<void> {
    const policyId = this.selectedPolicyId();
    await this.act(async (vmId, signal) => {
      const protection = await this.api.put(`${vmPath(vmId)}/protection`, { policyId }, readVmProtection, signal);
      this.show(protection);
      // The VM count of the policies changed with the assignment.
      void this.loadPolicies();
    });
  }

  protected async remove(): Promise<void> {
    this.confirmingRemove.set(false);
    await this.act(async (vmId, signal) => {
      await this.api.delete(`${vmPath(vmId)}/protection`, signal);
      await this.load();
      void this.loadPolicies();
    });
  }

  protected async backUpNow(): Promise<void> {
    await this.act(async (vmId, signal) => {
      const { job } = await this.api.post(`${vmPath(vmId)}/backup`, {}, readJobAccepted, signal);
      this.follow(job.id, job);
    });
  }

  private async act(action: (vmId: string, signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    this.busy.set(true);
    this.actionError.set(null);
    try {
      await action(this.vmId, this.aborter.signal);
    } catch (error: unknown) {
      this.report(error, (e) => this.actionError.set(e));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    try {
      this.show(await this.api.get(`${vmPath(this.vmId)}/protection`, readVmProtection, this.aborter.signal));
    } catch (error: unknown) {
      this.report(error, (e) => this.state.set({ kind: 'failed', error: e }));
    }
  }

  private async loadPolicies(): Promise<void> {
    try {
      const page = await this.api.get(POLICY_PAGE, readPolicyPage, this.aborter.signal);
      this.policies.set(page.items);
      this.policiesError.set(null);
    } catch (error: unknown) {
      this.report(error, (e) => this.policiesError.set(e));
    }
  }

  private show(protection: Protection): void {
    this.state.set({ kind: 'ready', protection });
    this.selectedPolicyId.set(protection.policy?.id ?? '');
    const active = protection.activeJob;
    if (active !== null && this.job()?.id !== active.id) {
      this.follow(active.id, null);
    }
  }

  /** Once the backup has ended, the VM's last good point and next due time have moved. */
  private follow(jobId: string, job: Job | null): void {
    this.backup.follow(jobId, job, () => void this.load());
  }

  private report(error: unknown, show: (error: LifelineApiError) => void): void {
    if (this.aborter.signal.aborted) {
      return;
    }
    if (error instanceof LifelineApiError) {
      show(error);
      return;
    }
    // Anything else is a defect in the UI; the global error listener reports it.
    throw error;
  }
}
