import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { readJobAccepted } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { readPolicy, type Policy } from '../../api/policy';
import { readVmProtection, vmPath, type VmProtection } from '../../api/vm-protection';
import { MessagePipe } from '../../i18n/message-pipe';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { contextObjectId } from '../../sdk/context-object-id';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { VmView } from '../vm-view';

/**
 * The VM's "Back up now" action, in the vSphere Client's modal: says which policy the backup runs
 * under, starts it, and shows its progress until the user closes the dialog. The backup is a job
 * on the server, so closing the dialog does not stop it; the Jobs view still shows it.
 */
@Component({
  selector: 'll-backup-now',
  imports: [ClrAlertModule, ClrSpinnerModule, FollowedJobStatus, MessagePipe, ProblemAlert, VmView],
  templateUrl: './backup-now.html',
  styles: `
    .ll-modal-footer {
      display: flex;
      justify-content: flex-end;
      gap: 0.3rem;
      margin-top: 1.2rem;
    }

    .ll-backup-job {
      display: flex;
      align-items: center;
      gap: 0.6rem;
      margin-top: 0.6rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BackupNow {
  private readonly api = inject(LifelineApi);
  private readonly sdk = inject(HtmlClientSdkService);
  private readonly aborter = new AbortController();
  private readonly vmId: string | null;

  protected readonly protection = signal<VmProtection | null>(null);
  protected readonly policy = signal<Policy | null>(null);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly startError = signal<LifelineApiError | null>(null);
  protected readonly starting = signal(false);
  protected readonly backup = new FollowedJob(inject(JobStream), this.aborter.signal);

  /** A backup of this VM started here or already running when the dialog opened. */
  protected readonly following = computed(() => this.backup.job() !== null || (this.protection()?.activeJob ?? null) !== null);
  protected readonly canStart = computed(() => {
    const protection = this.protection();
    return (
      protection !== null &&
      protection.protected &&
      protection.backupAvailable &&
      !protection.paused &&
      !this.starting() &&
      !this.following()
    );
  });

  constructor() {
    const vm = this.sdk.contextVm();
    this.vmId = vm === null ? null : contextObjectId(vm);
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    if (this.vmId === null) {
      this.loading.set(false);
    } else {
      void this.load(this.vmId);
    }
  }

  protected async start(): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    this.starting.set(true);
    this.startError.set(null);
    try {
      const { job } = await this.api.post(`${vmPath(this.vmId)}/backup`, {}, readJobAccepted, this.aborter.signal);
      this.backup.follow(job.id, job);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.startError.set(e));
    } finally {
      this.starting.set(false);
    }
  }

  /** The vSphere Client closes its modal; the result names the backup job, if one was started. */
  protected close(): void {
    const job = this.backup.job();
    this.sdk.closeModal(job === null ? null : { jobId: job.id });
  }

  private async load(vmId: string): Promise<void> {
    try {
      const protection = await this.api.get(`${vmPath(vmId)}/protection`, readVmProtection, this.aborter.signal);
      this.protection.set(protection);
      if (protection.activeJob !== null) {
        // "Back up now" while a backup runs would join that backup: show it rather than offer a second.
        this.backup.follow(protection.activeJob.id, null);
      }
      if (protection.policy !== null) {
        const id = encodeURIComponent(protection.policy.id);
        this.policy.set(await this.api.get(`/api/v1/policies/${id}`, readPolicy, this.aborter.signal));
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
