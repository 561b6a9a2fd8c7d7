import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrModalModule } from '@clr/angular/modal';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { readAttachments, type Attachment, type AttachmentState } from '../../api/attachment';
import { CapabilitiesApi, type ViewCapabilities } from '../../api/capabilities';
import { readJobAccepted } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { vmPath } from '../../api/vm-protection';
import { ByteSizePipe } from '../../i18n/byte-size-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import type { MessageKey } from '../../i18n/messages-en-us';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { contextObjectId } from '../../sdk/context-object-id';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { VmView } from '../vm-view';

const STATE_LABELS: Readonly<Record<AttachmentState, MessageKey>> = {
  uploading: 'attachedDisks.state.uploading',
  attaching: 'attachedDisks.state.attaching',
  attached: 'attachedDisks.state.attached',
  detaching: 'attachedDisks.state.detaching',
};

/**
 * Backup disks cloned and attached to this VM for item-level recovery, and detaching them, which
 * removes the disks from the VM and deletes the clones. The restore points stay untouched.
 */
@Component({
  selector: 'll-vm-attached-disks',
  imports: [ByteSizePipe, ClrDatagridModule, ClrModalModule, VsphereDatePipe, FollowedJobStatus, MessagePipe, ProblemAlert, VmView],
  templateUrl: './vm-attached-disks.html',
  styles: `
    .ll-attached-disk-list {
      list-style: none;
      margin: 0;
      padding: 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmAttachedDisks {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();
  private readonly vmId: string | null;

  protected readonly attachments = signal<readonly Attachment[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly detaching = signal<Attachment | null>(null);
  protected readonly detachError = signal<LifelineApiError | null>(null);
  protected readonly busy = signal(false);
  protected readonly job = new FollowedJob(inject(JobStream), this.aborter.signal);
  /** Detaching is a restore operation: offered only to users with Lifeline's Restore privilege. */
  protected readonly can: ViewCapabilities;

  constructor() {
    const vm = inject(HtmlClientSdkService).contextVm();
    this.vmId = vm === null ? null : contextObjectId(vm);
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    this.can = inject(CapabilitiesApi).forView(this.vmId, this.aborter.signal);
    if (this.vmId === null) {
      this.loading.set(false);
    } else {
      void this.load();
    }
  }

  protected stateLabel(attachment: Attachment): MessageKey {
    return STATE_LABELS[attachment.state];
  }

  protected ask(attachment: Attachment): void {
    this.detachError.set(null);
    this.detaching.set(attachment);
  }

  protected async detach(): Promise<void> {
    const attachment = this.detaching();
    if (attachment === null) {
      return;
    }
    this.busy.set(true);
    this.detachError.set(null);
    try {
      const { job } = await this.api.delete(`/api/v1/attachments/${encodeURIComponent(attachment.id)}`, this.aborter.signal, readJobAccepted);
      this.detaching.set(null);
      // The list shows the attachment as detaching at once, and without it once the job is done.
      void this.load();
      this.job.follow(job.id, job, () => void this.load());
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.detachError.set(e));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    try {
      this.attachments.set(await this.api.get(`${vmPath(this.vmId)}/attachments`, readAttachments, this.aborter.signal));
      this.loadError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
