import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ActivatedRoute } from '@angular/router';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrCheckboxModule } from '@clr/angular/forms/checkbox';
import { ClrInputModule } from '@clr/angular/forms/input';
import { ClrRadioModule } from '@clr/angular/forms/radio';
import { ClrSelectModule } from '@clr/angular/forms/select';
import { ClrWizardModule } from '@clr/angular/wizard';

import { CapabilitiesApi, type ViewCapabilities } from '../../api/capabilities';
import { readJobAccepted } from '../../api/job';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { recoveryCall, type RecoveryRequest } from '../../api/recovery-request';
import { newVmName, readPointPage, type RestorePoint } from '../../api/restore-point';
import { readVmRevert } from '../../api/revert';
import { VM_NAMES_PATH, readVmPage, type VmSummary } from '../../api/vm-summary';
import { vmPath } from '../../api/vm-protection';
import { ByteSizePipe } from '../../i18n/byte-size-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { GLOBAL_VIEW_ID, requestGlobalPage } from '../../global/global-page-request';
import { FollowedJob } from '../../jobs/followed-job';
import { FollowedJobStatus } from '../../jobs/followed-job-status';
import { JobStream } from '../../jobs/job-stream';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { contextObjectId } from '../../sdk/context-object-id';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';
import { DiskChoice, attachedDisks } from '../disk-choice';
import { VmView } from '../vm-view';
import { RecoverySpeedChoice, type RecoverySpeed } from './recovery-speed';

export type RecoveryMode = 'revert' | 'instantiate' | 'attach';

/** The newest points; an older one is recovered from the Lifeline backups tab, which pages. */
const POINT_PAGE = 100;

/**
 * The VM's "Recover…" action (and "Clone and attach…", which starts at attach), as a wizard in the
 * vSphere Client's modal: which restore point, what to do with it (revert this VM temporarily, a
 * new VM, or its disks attached to a VM), where, whether a new VM or attached disks run from the
 * backup at once (instant, from Lifeline's NFS datastore) or are copied first (the default), and
 * a last look before the job starts. After
 * that the dialog shows the job's progress; closing it does not stop the job.
 */
@Component({
  selector: 'll-recover-wizard',
  imports: [
    ByteSizePipe,
    ClrCheckboxModule,
    ClrDatagridModule,
    ClrInputModule,
    ClrRadioModule,
    ClrSelectModule,
    ClrWizardModule,
    DatePipe,
    DiskChoice,
    FollowedJobStatus,
    FormsModule,
    MessagePipe,
    ProblemAlert,
    RecoverySpeedChoice,
    VmView,
  ],
  templateUrl: './recover-wizard.html',
  styles: `
    .ll-recover-footer {
      display: flex;
      justify-content: flex-end;
      margin-top: 1.2rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RecoverWizard {
  private readonly api = inject(LifelineApi);
  private readonly sdk = inject(HtmlClientSdkService);
  private readonly aborter = new AbortController();
  protected readonly vmId: string | null;
  /** "Clone and attach…" opens the wizard with the mode chosen. */
  protected readonly fixedMode: RecoveryMode | null = readMode(inject(ActivatedRoute).snapshot.data['mode']);

  protected readonly points = signal<readonly RestorePoint[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly vms = signal<readonly VmSummary[]>([]);
  protected readonly vmsError = signal<LifelineApiError | null>(null);
  protected readonly inRevert = signal(false);

  protected readonly point = signal<RestorePoint | undefined>(undefined);
  protected readonly selectedPoints = computed(() => {
    const point = this.point();
    return point === undefined ? [] : [point];
  });
  protected readonly mode = signal<RecoveryMode>(this.fixedMode ?? 'instantiate');
  protected readonly powerOff = signal(false);
  protected readonly powerOn = signal(false);
  protected readonly instanceName = signal('');
  protected readonly datastore = signal('');
  protected readonly targetVm = signal('');
  protected readonly disks = signal<ReadonlySet<number>>(new Set());
  protected readonly speed = signal<RecoverySpeed>('copy');

  protected readonly targetReady = computed(() => {
    switch (this.mode()) {
      case 'revert':
        return !this.inRevert();
      case 'instantiate':
        return this.instanceName().trim() !== '';
      case 'attach':
        return this.targetVm() !== '' && this.disks().size > 0;
    }
  });
  protected readonly targetVmName = computed(() => this.vms().find((vm) => vm.id === this.targetVm())?.name ?? this.targetVm());

  protected readonly submitting = signal(false);
  protected readonly submitError = signal<LifelineApiError | null>(null);
  protected readonly job = new FollowedJob(inject(JobStream), this.aborter.signal);
  /** An instant new instance or attach was started: the dialog links to the view that migrates or discards it. */
  protected readonly startedInstant = signal(false);
  /** Revert, new instance and clone-and-attach all need Lifeline's Restore privilege on the VM. */
  protected readonly can: ViewCapabilities;

  constructor() {
    const vm = this.sdk.contextVm();
    this.vmId = vm === null ? null : contextObjectId(vm);
    this.targetVm.set(this.vmId ?? '');
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    this.can = inject(CapabilitiesApi).forView(this.vmId, this.aborter.signal);
    if (this.vmId === null) {
      this.loading.set(false);
    } else {
      void this.load(this.vmId);
    }
  }

  protected selectPoint(points: readonly RestorePoint[]): void {
    const point = points[0];
    this.point.set(point);
    if (point !== undefined) {
      this.instanceName.set(newVmName(point));
      this.disks.set(new Set(point.disks.map((d) => d.index)));
    }
  }

  protected async submit(): Promise<void> {
    const point = this.point();
    if (point === undefined || this.vmId === null || this.submitting()) {
      return;
    }
    const { path, body } = recoveryCall(this.request(point, this.vmId));
    this.submitting.set(true);
    this.submitError.set(null);
    try {
      const { job } = await this.api.post(path, body, readJobAccepted, this.aborter.signal);
      this.startedInstant.set(this.mode() !== 'revert' && this.speed() === 'instant');
      this.job.follow(job.id, job);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.submitError.set(e));
    } finally {
      this.submitting.set(false);
    }
  }

  /** The vSphere Client closes its modal; the result names the job, if one was started. */
  protected close(): void {
    const job = this.job.job();
    this.sdk.closeModal(job === null ? null : { jobId: job.id });
  }

  /** Opens Lifeline's global view at Instant recoveries and closes the dialog; the job goes on. */
  protected openInstantRecoveries(): void {
    requestGlobalPage('/global/instant-recoveries');
    this.sdk.navigateTo({ targetViewId: GLOBAL_VIEW_ID });
    this.close();
  }

  private request(point: RestorePoint, vmId: string): RecoveryRequest {
    switch (this.mode()) {
      case 'revert':
        return { kind: 'revert', vmId, pointId: point.id, powerOff: this.powerOff() };
      case 'instantiate': {
        const datastore = this.datastore().trim();
        return {
          kind: 'instantiate',
          pointId: point.id,
          name: this.instanceName(),
          powerOn: this.powerOn(),
          datastore: datastore === '' ? null : datastore,
          instant: this.speed() === 'instant',
        };
      }
      case 'attach': {
        return { kind: 'attach', pointId: point.id, vmId: this.targetVm(), disks: attachedDisks(point.disks, this.disks()), instant: this.speed() === 'instant' };
      }
    }
  }

  private async load(vmId: string): Promise<void> {
    const signal = this.aborter.signal;
    const vms = this.api.get(VM_NAMES_PATH, readVmPage, signal).then(
      (page) => this.vms.set(page.items),
      // Without the list the disks can go to this VM only, and the page says why.
      (error: unknown) => reportApiError(error, this.aborter.signal, (e) => this.vmsError.set(e)),
    );
    const revert = this.api.get(`${vmPath(vmId)}/revert`, readVmRevert, signal).then(
      (r) => this.inRevert.set(r.reverted),
      (error: unknown) => reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e)),
    );
    try {
      const page = await this.api.get(`${vmPath(vmId)}/points?offset=0&limit=${POINT_PAGE}`, readPointPage, signal);
      this.points.set(page.items);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
    await Promise.all([vms, revert]);
  }
}

function readMode(value: unknown): RecoveryMode | null {
  return value === 'revert' || value === 'instantiate' || value === 'attach' ? value : null;
}
