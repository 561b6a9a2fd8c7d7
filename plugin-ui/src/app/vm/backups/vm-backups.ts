import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrCheckboxModule } from '@clr/angular/forms/checkbox';
import { ClrInputModule } from '@clr/angular/forms/input';
import { ClarityIcons, angleIcon } from '@clr/angular/icon';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrRadioModule } from '@clr/angular/forms/radio';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { downloadTicketPath, readDownloadTicket, type ExportFormat } from '../../api/download-ticket';
import { CapabilitiesApi, type ViewCapabilities } from '../../api/capabilities';
import { readJobAccepted, type Job } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { newVmName, pointPath, pointRetentionPath, readPointPage, type RestorePoint } from '../../api/restore-point';
import { recoveryCall, type RecoveryRequest } from '../../api/recovery-request';
import { readVmRevert, type VmRevert } from '../../api/revert';
import { instantRevertPercent, readVmInstantRevert, type VmInstantRevert } from '../../api/instant-revert';
import { vmPath } from '../../api/vm-protection';
import { ByteSizePipe } from '../../i18n/byte-size-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { contextObjectId } from '../../sdk/context-object-id';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { DiskChoice, attachedDisks } from '../disk-choice';
import { VmView } from '../vm-view';
import { BrowserDownload } from './browser-download';
import { endOfLocalDay, isDayFrom, localDayOf } from './retain-day';

export const POINT_PAGE_SIZE = 50;
/** How much longer "Keep longer…" offers to keep a point, from its current retain-until. */
export const RETAIN_DEFAULT_DAYS = 30;

// The caret of expandable rows; the datagrid registers only the icons every grid needs.
ClarityIcons.addIcons(angleIcon);

/** What the dialog asks the user to confirm: a restore job, or the download of a disk. */
export type RecoveryDialog =
  | { readonly kind: 'export'; readonly point: RestorePoint }
  | { readonly kind: 'revert'; readonly point: RestorePoint }
  | { readonly kind: 'instantiate'; readonly point: RestorePoint }
  | { readonly kind: 'attach'; readonly point: RestorePoint }
  | { readonly kind: 'cancelRevert' }
  | { readonly kind: 'commitRevert' }
  | { readonly kind: 'instantRevert'; readonly point: RestorePoint }
  | { readonly kind: 'cancelInstantRevert' }
  | { readonly kind: 'commitInstantRevert' };

/**
 * The VM's Monitor > Lifeline backups tab: its restore points newest first, a page at a time, and
 * what a user recovers from one: revert the VM to it (temporarily, then cancel or make it
 * permanent), a new VM from it, or its disks cloned and attached to this VM; or one of its disks
 * downloaded, raw or as a VMDK. While the VM is in a temporary revert a banner says so and offers
 * the two ways out. An instant revert runs the VM from the point at once, straight from the backup
 * (Lifeline's NFS datastore); while it does, a banner says the VM runs from its backup and offers
 * Make permanent (its disks moved to production storage while it runs, the move's progress shown)
 * and Cancel. A user who may protect the VM keeps a point longer (never shorter); an
 * administrator deletes a point whose retention has passed.
 */
@Component({
  selector: 'll-vm-backups',
  imports: [
    ByteSizePipe,
    ClrAlertModule,
    ClrCheckboxModule,
    ClrDatagridModule,
    ClrInputModule,
    ClrModalModule,
    ClrRadioModule,
    ClrSpinnerModule,
    VsphereDatePipe,
    DiskChoice,
    FollowedJobStatus,
    FormsModule,
    MessagePipe,
    ProblemAlert,
    VmView,
  ],
  templateUrl: './vm-backups.html',
  styleUrl: './vm-backups.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmBackups {
  private readonly api = inject(LifelineApi);
  private readonly browserDownload = inject(BrowserDownload);
  private readonly aborter = new AbortController();
  private pageRequest: AbortController | null = null;
  private readonly vmId: string | null;

  protected readonly points = signal<readonly RestorePoint[]>([]);
  protected readonly total = signal(0);
  protected readonly offset = signal(0);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly from = computed(() => (this.total() === 0 ? 0 : this.offset() + 1));
  protected readonly to = computed(() => this.offset() + this.points().length);
  protected readonly hasPrevious = computed(() => this.offset() > 0);
  protected readonly hasNext = computed(() => this.offset() + POINT_PAGE_SIZE < this.total());

  protected readonly selected = signal<RestorePoint | undefined>(undefined);
  protected readonly selectedItems = computed(() => {
    const point = this.selected();
    return point === undefined ? [] : [point];
  });
  protected readonly revert = signal<VmRevert | null>(null);
  protected readonly revertError = signal<LifelineApiError | null>(null);
  /** The point the VM runs on in a temporary revert, when it is on the page shown. */
  protected readonly revertPoint = computed(() => {
    const id = this.revert()?.pointId ?? null;
    return id === null ? null : (this.points().find((p) => p.id === id) ?? null);
  });

  protected readonly instant = signal<VmInstantRevert | null>(null);
  protected readonly instantError = signal<LifelineApiError | null>(null);
  /** The point the VM runs from in an instant revert, when it is on the page shown. */
  protected readonly instantPoint = computed(() => {
    const id = this.instant()?.pointId ?? null;
    return id === null ? null : (this.points().find((p) => p.id === id) ?? null);
  });
  /** How far the instant revert's job has got (the move of the disks during make permanent), 0–100. */
  protected readonly instantPercent = computed(() => {
    const followed = this.job.job();
    const own = this.instant()?.job ?? null;
    if (followed !== null && own !== null && followed.id === own.id && followed.progress.bytesTotal !== null && followed.progress.bytesTotal > 0) {
      return Math.min(100, Math.round((followed.progress.bytesDone * 100) / followed.progress.bytesTotal));
    }
    return instantRevertPercent(own);
  });
  /** The point the VM runs on now, by either revert. */
  protected readonly runningOn = computed(() => this.revert()?.pointId ?? this.instant()?.pointId ?? null);

  protected readonly job = new FollowedJob(inject(JobStream), this.aborter.signal);
  /** A point can be recovered from while no recovery runs for this VM and it is not damaged. */
  protected readonly canRecover = computed(() => {
    const point = this.selected();
    return point !== undefined && !point.damaged && !this.job.active() && !this.submitting();
  });
  /** One revert at a time, of either kind. */
  protected readonly canRevert = computed(() => this.canRecover() && !(this.revert()?.reverted ?? false) && !(this.instant()?.active ?? false));
  /** A download reads the point only, so it may run beside a recovery; a damaged point cannot be read whole. */
  protected readonly canExport = computed(() => {
    const point = this.selected();
    return point !== undefined && !point.damaged && point.disks.length > 0 && !this.submitting();
  });

  protected readonly dialog = signal<RecoveryDialog | null>(null);
  protected readonly dialogError = signal<LifelineApiError | null>(null);
  protected readonly submitting = signal(false);
  protected readonly powerOff = signal(false);
  protected readonly powerOn = signal(false);
  protected readonly instanceName = signal('');
  protected readonly attachDisks = signal<ReadonlySet<number>>(new Set());
  protected readonly exportDisk = signal(0);
  protected readonly exportFormat = signal<ExportFormat>('raw');

  /** The point the user is asked to confirm deleting; null while no one is. */
  protected readonly deleting = signal<RestorePoint | null>(null);
  protected readonly deleteError = signal<LifelineApiError | null>(null);
  protected readonly deleteBusy = signal(false);
  /** Nobody, administrator included, deletes a point before its retain-until; the server refuses it too. */
  protected readonly canDelete = computed(() => {
    const point = this.selected();
    return point !== undefined && !point.locked && !this.deleteBusy();
  });

  /** The point the user is asked how much longer to keep; null while no one is. */
  protected readonly retaining = signal<RestorePoint | null>(null);
  protected readonly retainError = signal<LifelineApiError | null>(null);
  protected readonly retainBusy = signal(false);
  /** The day chosen in the dialog, as the date input writes it (`YYYY-MM-DD`, local); '' when cleared. */
  protected readonly retainDay = signal('');
  /** The earliest day the dialog accepts: the day the point is kept until now. */
  protected readonly retainEarliest = computed(() => {
    const point = this.retaining();
    return point === null ? '' : localDayOf(point.retainUntil);
  });
  protected readonly retainDayValid = computed(() => isDayFrom(this.retainDay(), this.retainEarliest()));
  /** The job that keeps a point longer, followed beside a recovery's: it may take a while on a large point. */
  protected readonly retention = new FollowedJob(inject(JobStream), this.aborter.signal);
  protected readonly canRetain = computed(() => this.selected() !== undefined && !this.retention.active() && !this.retainBusy());

  /**
   * Every action here (recoveries, the revert's two ways out, downloads) needs Lifeline's Restore
   * privilege, except keeping a point longer, which needs Protect, and deleting a point, which needs
   * Lifeline's Admin privilege.
   */
  protected readonly can: ViewCapabilities;

  constructor() {
    const vm = inject(HtmlClientSdkService).contextVm();
    this.vmId = vm === null ? null : contextObjectId(vm);
    this.can = inject(CapabilitiesApi).forView(this.vmId, this.aborter.signal);
    inject(DestroyRef).onDestroy(() => {
      this.aborter.abort();
      this.pageRequest?.abort();
    });
    if (this.vmId !== null) {
      void this.loadPage(0);
      void this.loadRevert();
      void this.loadInstant();
    } else {
      this.loading.set(false);
    }
  }

  protected select(points: readonly RestorePoint[]): void {
    this.selected.set(points[0]);
  }

  protected previous(): void {
    void this.loadPage(Math.max(0, this.offset() - POINT_PAGE_SIZE));
  }

  protected next(): void {
    void this.loadPage(this.offset() + POINT_PAGE_SIZE);
  }

  protected open(dialog: RecoveryDialog): void {
    this.dialogError.set(null);
    this.powerOff.set(false);
    this.powerOn.set(false);
    if (dialog.kind === 'instantiate') {
      this.instanceName.set(newVmName(dialog.point));
    }
    if (dialog.kind === 'attach') {
      this.attachDisks.set(new Set(dialog.point.disks.map((d) => d.index)));
    }
    if (dialog.kind === 'export') {
      this.exportDisk.set(dialog.point.disks[0]?.index ?? 0);
      this.exportFormat.set('raw');
    }
    this.dialog.set(dialog);
  }

  protected close(): void {
    this.dialog.set(null);
  }

  protected readonly canSubmit = computed(() => {
    const dialog = this.dialog();
    if (dialog === null || this.submitting()) {
      return false;
    }
    switch (dialog.kind) {
      case 'instantiate':
        return this.instanceName().trim() !== '';
      case 'attach':
        return this.attachDisks().size > 0;
      default:
        return true;
    }
  });

  /** Sends what the dialog confirmed; the dialog stays open with the server's reason on a refusal. */
  protected async submit(): Promise<void> {
    const dialog = this.dialog();
    if (dialog === null || this.vmId === null) {
      return;
    }
    if (dialog.kind === 'export') {
      await this.download(dialog.point, this.exportDisk(), this.exportFormat());
      return;
    }
    const { path, body } = recoveryCall(this.requestOf(dialog, this.vmId));
    this.submitting.set(true);
    this.dialogError.set(null);
    try {
      const { job } = await this.api.post(path, body, readJobAccepted, this.aborter.signal);
      this.dialog.set(null);
      this.follow(job);
      if (dialog.kind === 'instantRevert' || dialog.kind === 'commitInstantRevert' || dialog.kind === 'cancelInstantRevert') {
        // The banner says at once what the job does (e.g. the move of the disks, with its progress).
        void this.loadInstant();
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.dialogError.set(e));
    } finally {
      this.submitting.set(false);
    }
  }

  /**
   * Asks the server, with the session, for a ticket to the disk's export, then lets the browser
   * download it: a browser download cannot carry the session header, and the page must not hold
   * a disk in memory.
   */
  private async download(point: RestorePoint, disk: number, format: ExportFormat): Promise<void> {
    this.submitting.set(true);
    this.dialogError.set(null);
    try {
      const ticket = await this.api.post(downloadTicketPath(point.id, disk), { format }, readDownloadTicket, this.aborter.signal);
      const url = await this.api.url(ticket.url);
      this.dialog.set(null);
      this.browserDownload.start(url);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.dialogError.set(e));
    } finally {
      this.submitting.set(false);
    }
  }

  private requestOf(dialog: Exclude<RecoveryDialog, { kind: 'export' }>, vmId: string): RecoveryRequest {
    switch (dialog.kind) {
      case 'revert':
        return { kind: 'revert', vmId, pointId: dialog.point.id, powerOff: this.powerOff() };
      case 'cancelRevert':
        return { kind: 'cancelRevert', vmId, powerOff: this.powerOff() };
      case 'commitRevert':
        return { kind: 'commitRevert', vmId };
      case 'instantRevert':
        return { kind: 'instantRevert', vmId, pointId: dialog.point.id, powerOff: this.powerOff() };
      case 'commitInstantRevert':
        return { kind: 'commitInstantRevert', vmId };
      case 'cancelInstantRevert':
        return { kind: 'cancelInstantRevert', vmId };
      case 'instantiate':
        return { kind: 'instantiate', pointId: dialog.point.id, name: this.instanceName(), powerOn: this.powerOn(), datastore: null };
      case 'attach':
        return { kind: 'attach', pointId: dialog.point.id, vmId, disks: attachedDisks(dialog.point.disks, this.attachDisks()) };
    }
  }

  protected askDelete(point: RestorePoint): void {
    this.deleteError.set(null);
    this.deleting.set(point);
  }

  protected closeDelete(): void {
    // A delete under way is let finish: the dialog says how it ended.
    if (!this.deleteBusy()) {
      this.deleting.set(null);
    }
  }

  /**
   * Deletes the point the dialog names, then reads the page again, which no longer lists it. A
   * refusal (still retained, in use, maintenance running, no privilege) stays in the dialog and
   * leaves the list as it was; a point already gone is dropped from the list as well.
   */
  protected async confirmDelete(): Promise<void> {
    const point = this.deleting();
    if (point === null || this.deleteBusy()) {
      return;
    }
    this.deleteBusy.set(true);
    this.deleteError.set(null);
    try {
      await this.api.delete(pointPath(point.id), this.aborter.signal);
      this.deleting.set(null);
      void this.reloadAfterDelete();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => {
        this.deleteError.set(e);
        if (e.status === 404) {
          void this.reloadAfterDelete();
        }
      });
    } finally {
      this.deleteBusy.set(false);
    }
  }

  /** Opens "Keep longer…" for `point`, offering to keep it 30 days past its current retain-until. */
  protected askRetain(point: RestorePoint): void {
    this.retainError.set(null);
    this.retainDay.set(localDayOf(point.retainUntil, RETAIN_DEFAULT_DAYS));
    this.retaining.set(point);
  }

  protected closeRetain(): void {
    if (!this.retainBusy()) {
      this.retaining.set(null);
    }
  }

  /**
   * Asks the server to keep the point until the end of the chosen day, local time, and follows the
   * job that locks its data until then; the page is read again once the job has succeeded, so the
   * new retain-until shows. A refusal stays in the dialog and changes nothing.
   */
  protected async confirmRetain(): Promise<void> {
    const point = this.retaining();
    const retainUntil = endOfLocalDay(this.retainDay());
    if (point === null || retainUntil === null || !this.retainDayValid() || this.retainBusy()) {
      return;
    }
    this.retainBusy.set(true);
    this.retainError.set(null);
    try {
      const { job } = await this.api.post(pointRetentionPath(point.id), { retainUntil }, readJobAccepted, this.aborter.signal);
      this.retaining.set(null);
      this.retention.follow(job.id, job, () => {
        if (this.retention.job()?.state === 'succeeded') {
          void this.loadPage(this.offset());
        }
      });
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.retainError.set(e));
    } finally {
      this.retainBusy.set(false);
    }
  }

  /** The page shown again, or the one before it when the deleted point was the last on it. */
  private reloadAfterDelete(): Promise<void> {
    const offset = this.offset();
    return this.loadPage(this.points().length <= 1 && offset > 0 ? Math.max(0, offset - POINT_PAGE_SIZE) : offset);
  }

  /** A recovery job moves the revert state when it ends; the banners read it again then. */
  private follow(job: Job): void {
    this.job.follow(job.id, job, () => this.reloadReverts());
  }

  private reloadReverts(): void {
    void this.loadRevert();
    void this.loadInstant();
  }

  private async loadPage(offset: number): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    // Only the newest page asked for may fill the grid.
    this.pageRequest?.abort();
    const request = new AbortController();
    this.pageRequest = request;
    this.loading.set(true);
    try {
      const page = await this.api.get(`${vmPath(this.vmId)}/points?offset=${offset}&limit=${POINT_PAGE_SIZE}`, readPointPage, request.signal);
      this.points.set(page.items);
      this.total.set(page.total);
      this.offset.set(page.offset);
      this.selected.set(undefined);
      this.loadError.set(null);
    } catch (error: unknown) {
      if (!request.signal.aborted) {
        reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
      }
    } finally {
      if (this.pageRequest === request) {
        this.loading.set(false);
      }
    }
  }

  private async loadRevert(): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    try {
      const revert = await this.api.get(`${vmPath(this.vmId)}/revert`, readVmRevert, this.aborter.signal);
      this.revert.set(revert);
      this.revertError.set(null);
      const busy = revert.state !== null && revert.state !== 'reverted' && revert.jobId !== null;
      if (busy && this.job.job()?.id !== revert.jobId && revert.jobId !== null) {
        this.job.follow(revert.jobId, null, () => this.reloadReverts());
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.revertError.set(e));
    }
  }

  /** The VM's instant revert; a job working on it (make permanent, say) is followed with its progress. */
  private async loadInstant(): Promise<void> {
    if (this.vmId === null) {
      return;
    }
    try {
      const instant = await this.api.get(`${vmPath(this.vmId)}/instant-revert`, readVmInstantRevert, this.aborter.signal);
      this.instant.set(instant);
      this.instantError.set(null);
      const job = instant.job;
      if (job !== null && this.job.job()?.id !== job.id) {
        this.job.follow(job.id, null, () => this.reloadReverts());
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.instantError.set(e));
    }
  }
}
