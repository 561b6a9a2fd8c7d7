import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, output, signal } from '@angular/core';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { DurationPipe } from '../i18n/duration-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { FollowedJob } from '../jobs/followed-job';
import { FollowedJobStatus } from '../jobs/followed-job-status';
import { JobStream } from '../jobs/job-stream';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { CLOCK } from '../sites/clock';
import { DrApi } from './dr-api';
import type { Failover, MissingMapping, ReplicatedVm } from './dr-api.types';
import { DrConfirm } from './dr-confirm';
import { FailoverReport, REPORT_REFRESH_SECONDS } from './failover-report';

/** "network VM Network, datastore LocalDS_0": what a VM lacks, as the server names it. */
export function describeMissing(missing: readonly MissingMapping[]): string {
  return missing.map((m) => `${m.kind} ${m.source}`).join(', ');
}

/**
 * The production site's VMs this DR site holds replicated points of: each with its latest point,
 * the lag (what a disaster failover now would lose) and which mapping a failover or a drill lacks,
 * with *Fail over…* and *Test…*. Each asks for confirmation naming the mode and its consequences,
 * then follows the job and shows the failover's report; a drill's report offers its clean-up, a
 * failover's that is up *Fail back…* (onto the original VM at the source site). A VM failed over
 * here earlier (the server's failovers, read with the list) is marked so, with its failback's state
 * and *Fail back…* in its row.
 * The actions need Lifeline Restore; without it, or with a mapping missing, they are disabled and
 * say why.
 */
@Component({
  selector: 'll-replicated-vms',
  imports: [ClrDatagridModule, DrConfirm, DurationPipe, FailoverReport, FollowedJobStatus, MessagePipe, ProblemAlert, VsphereDatePipe],
  template: `
    <section class="ll-replicated" [attr.data-site-id]="siteId()">
      <h4>{{ 'dr.replicated.title' | msg: { site: siteName() } }}</h4>
      @if (!canRestore()) {
        <p class="ll-hint ll-replicated-needs-restore">{{ 'dr.needsRestore' | msg }}</p>
      }
      <clr-datagrid class="ll-replicated-grid" [clrDgLoading]="loading()">
        <clr-dg-placeholder>{{ 'dr.replicated.none' | msg }}</clr-dg-placeholder>
        <clr-dg-column>{{ 'dr.replicated.vm' | msg }}</clr-dg-column>
        <clr-dg-column>{{ 'dr.replicated.latest' | msg }}</clr-dg-column>
        <clr-dg-column>{{ 'dr.replicated.lag' | msg }}</clr-dg-column>
        <clr-dg-column>{{ 'dr.replicated.mappings' | msg }}</clr-dg-column>
        <clr-dg-column>{{ 'sites.column.actions' | msg }}</clr-dg-column>
        <clr-dg-row *clrDgItems="let vm of rows()" [clrDgItem]="vm" class="ll-replicated-vm" [attr.data-vm-id]="vm.vm.id">
          <clr-dg-cell class="ll-replicated-name">{{ vm.vm.name }}</clr-dg-cell>
          <clr-dg-cell class="ll-replicated-latest">{{ vm.latestPoint ? (vm.latestPoint.createdAt | date: 'medium') : '—' }}</clr-dg-cell>
          <clr-dg-cell class="ll-replicated-lag">{{ vm.lagSeconds === null ? '—' : (vm.lagSeconds | duration) }}</clr-dg-cell>
          <clr-dg-cell class="ll-replicated-status">
            @if (vm.missing.failover.length === 0) {
              <span class="label label-success ll-ready-failover">{{ 'dr.replicated.readyFailover' | msg }}</span>
            } @else {
              <span class="label label-danger ll-missing-failover">{{ 'dr.replicated.missing' | msg: { what: describe(vm.missing.failover) } }}</span>
            }
            @if (vm.missing.test.length === 0) {
              <span class="label label-success ll-ready-test">{{ 'dr.replicated.readyTest' | msg }}</span>
            } @else {
              <span class="label label-warning ll-missing-test">{{ 'dr.replicated.missingTest' | msg: { what: describe(vm.missing.test) } }}</span>
            }
            @if (failedOver(vm); as f) {
              <span class="label label-info ll-failed-over" [attr.data-failover-id]="f.id">{{ 'dr.replicated.failedOver' | msg: { name: f.name } }}</span>
              @if (f.failback?.state === 'running') {
                <span class="label label-warning ll-failback-running">{{ 'dr.replicated.failbackRunning' | msg: { site: siteName() } }}</span>
              } @else if (f.failback?.state === 'failed') {
                <span class="label label-danger ll-failback-failed">{{ 'dr.replicated.failbackFailed' | msg: { failure: f.failback?.failures?.at(-1) ?? '—' } }}</span>
              }
            }
          </clr-dg-cell>
          <clr-dg-cell>
            <button type="button" class="btn btn-link btn-sm ll-vm-failover" [disabled]="!!failoverBlocked(vm)" [attr.title]="failoverBlocked(vm)" (click)="ask(vm, 'disaster')">
              {{ 'dr.replicated.failover' | msg }}
            </button>
            @if (planned()) {
              <button type="button" class="btn btn-link btn-sm ll-vm-planned" [disabled]="!!failoverBlocked(vm)" [attr.title]="failoverBlocked(vm)" (click)="ask(vm, 'planned')">
                {{ 'dr.replicated.planned' | msg }}
              </button>
            }
            <button type="button" class="btn btn-link btn-sm ll-vm-test" [disabled]="!!testBlocked(vm)" [attr.title]="testBlocked(vm)" (click)="ask(vm, 'test')">
              {{ 'dr.replicated.test' | msg }}
            </button>
            @if (failedOver(vm); as f) {
              @if (f.failback?.state !== 'running') {
                <button type="button" class="btn btn-link btn-sm ll-vm-row-failback" [disabled]="!canRestore()" [attr.title]="canRestore() ? null : ('dr.needsRestore' | msg)" (click)="askFailback(f)">
                  {{ 'dr.replicated.failback' | msg }}
                </button>
              }
            }
          </clr-dg-cell>
        </clr-dg-row>
        <clr-dg-footer>{{ vms().length }}</clr-dg-footer>
      </clr-datagrid>

      <ll-followed-job class="ll-vm-job" [followed]="job" />
      <ll-problem-alert [error]="reportError()" />
      @if (last(); as failover) {
        <div class="ll-vm-report" [attr.data-mode]="failover.mode">
          <h5>{{ (failover.mode === 'test' ? 'dr.report.drillTitle' : 'dr.report.failoverTitle') | msg: { name: failover.sourceVm.name } }}</h5>
          <ll-failover-report [failovers]="[failover]" />
          @if (failover.mode === 'test' && failover.state === 'up') {
            <button type="button" class="btn btn-outline btn-sm ll-vm-cleanup" [disabled]="!canRestore()" (click)="askCleanup(failover)">{{ 'dr.cleanup' | msg }}</button>
          }
          @if (failover.failback; as fb) {
            <p class="ll-vm-failback-state" [attr.data-state]="fb.state">{{ 'dr.report.failback' | msg: { site: siteName(), state: fb.state, sent: fb.chunksSent ?? '—', chunks: fb.chunks ?? '—' } }}</p>
          }
          @if (failover.mode !== 'test' && failover.state === 'up' && failover.failback?.state !== 'done' && failover.failback?.state !== 'running') {
            <button type="button" class="btn btn-outline btn-sm ll-vm-failback" [disabled]="!canRestore()" [attr.title]="canRestore() ? null : ('dr.needsRestore' | msg)" (click)="askFailback(failover)">{{ 'dr.replicated.failback' | msg }}</button>
          }
        </div>
      }
    </section>

    @if (asking(); as a) {
      <ll-dr-confirm
        [action]="a.action"
        [subject]="a.subject"
        [site]="siteName()"
        [lossSeconds]="a.lossSeconds"
        [pointAt]="a.pointAt"
        [busy]="busy()"
        [error]="actionError()"
        (confirmed)="confirm()"
        (closed)="asking.set(null)"
      />
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ReplicatedVms {
  private readonly api = inject(DrApi);
  private readonly messages = inject(Messages);
  private readonly clock = inject(CLOCK);
  private readonly aborter = new AbortController();

  readonly siteId = input.required<string>();
  readonly siteName = input.required<string>();
  readonly vms = input.required<readonly ReplicatedVm[]>();
  readonly loading = input(false);
  protected readonly rows = computed(() => [...this.vms()]);
  readonly canRestore = input(false);
  /** The server offers planned migration of one VM (its OpenAPI document says so). */
  readonly planned = input(false);
  /** A failover or clean-up ended: the list is read again. */
  readonly changed = output<void>();

  protected readonly job = new FollowedJob(inject(JobStream), this.aborter.signal);
  protected readonly asking = signal<{
    action: 'test' | 'disaster' | 'planned' | 'cleanup' | 'failbackVm';
    subject: string;
    vm: ReplicatedVm | null;
    failover: Failover | null;
    lossSeconds: number | null;
    pointAt: string | null;
  } | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<LifelineApiError | null>(null);
  protected readonly last = signal<Failover | null>(null);
  protected readonly reportError = signal<LifelineApiError | null>(null);
  /** This site's failovers as the server keeps them: which VMs are failed over here, whenever that was. */
  protected readonly failovers = signal<readonly Failover[]>([]);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.readFailovers();
    // While the failover runs, its record is read again: the report is live.
    let seconds = 0;
    const stop = this.clock.everySecond(() => {
      // Counted from the job's start, not from whenever the view opened.
      seconds = this.job.active() ? seconds + 1 : 0;
      const last = this.last();
      if (seconds >= REPORT_REFRESH_SECONDS && last !== null && this.job.active() && !this.reading) {
        seconds = 0;
        void this.readReport(last.id, false);
      }
    });
    inject(DestroyRef).onDestroy(stop);
  }

  /**
   * The VM's failover that a failback would send back, as the server picks it: up, not a drill,
   * not failed back. Null when the VM runs at the source site.
   */
  protected failedOver(vm: ReplicatedVm): Failover | null {
    return this.failovers().find((f) => f.peerId === this.siteId() && f.sourceVm.id === vm.vm.id && f.mode !== 'test' && f.state === 'up' && f.vm !== null && f.failback?.state !== 'done') ?? null;
  }

  private async readFailovers(): Promise<void> {
    try {
      this.failovers.set(await this.api.failovers(this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.reportError.set(e));
    }
  }

  protected describe(missing: readonly MissingMapping[]): string {
    return describeMissing(missing);
  }

  /** Why Fail over… is disabled, or null when it is not. */
  protected failoverBlocked(vm: ReplicatedVm): string | null {
    if (!this.canRestore()) {
      return this.messages.text('dr.needsRestore');
    }
    if (vm.latestPoint === null) {
      return this.messages.text('dr.replicated.noPoint');
    }
    return vm.missing.failover.length > 0 ? this.messages.text('dr.replicated.missing', { what: describeMissing(vm.missing.failover) }) : null;
  }

  protected testBlocked(vm: ReplicatedVm): string | null {
    if (!this.canRestore()) {
      return this.messages.text('dr.needsRestore');
    }
    if (vm.latestPoint === null) {
      return this.messages.text('dr.replicated.noPoint');
    }
    return vm.missing.test.length > 0 ? this.messages.text('dr.replicated.missingTest', { what: describeMissing(vm.missing.test) }) : null;
  }

  protected ask(vm: ReplicatedVm, action: 'test' | 'disaster' | 'planned'): void {
    const pointAt = vm.latestPoint?.createdAt ?? null;
    // The window is measured when the user is asked, not when the list was read.
    const lossSeconds = pointAt === null ? null : Math.max(0, Math.round((this.clock.now() - Date.parse(pointAt)) / 1000));
    this.actionError.set(null);
    this.asking.set({ action, subject: vm.vm.name, vm, failover: null, lossSeconds, pointAt });
  }

  protected askCleanup(failover: Failover): void {
    this.actionError.set(null);
    this.asking.set({ action: 'cleanup', subject: failover.name, vm: null, failover, lossSeconds: null, pointAt: null });
  }

  /** The failover shown is sent back to the source site, onto its original VM. */
  protected askFailback(failover: Failover): void {
    this.actionError.set(null);
    this.asking.set({ action: 'failbackVm', subject: failover.name, vm: null, failover, lossSeconds: null, pointAt: null });
  }

  protected async confirm(): Promise<void> {
    const a = this.asking();
    if (a === null) {
      return;
    }
    this.busy.set(true);
    this.actionError.set(null);
    try {
      const accepted =
        a.action === 'cleanup'
          ? await this.api.cleanUpDrill(a.failover!.id, this.aborter.signal)
          : a.action === 'failbackVm'
            ? await this.api.failBack(this.siteId(), a.failover!.sourceVm.id, { target: 'original' }, this.aborter.signal)
            : await this.api.failOver(this.siteId(), a.vm!.vm.id, { mode: a.action }, this.aborter.signal);
      this.asking.set(null);
      this.last.set(accepted.failover);
      const id = accepted.failover.id;
      this.job.follow(accepted.job.id, accepted.job, () => void this.readReport(id));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.actionError.set(e));
    } finally {
      this.busy.set(false);
    }
  }

  private reading = false;

  /** Reads the failover's record; once it has ended (`ended`), the list is read again too. */
  private async readReport(failoverId: string, ended = true): Promise<void> {
    this.reading = true;
    try {
      this.last.set(await this.api.failover(failoverId, this.aborter.signal));
      this.reportError.set(null);
      if (ended) {
        await this.readFailovers();
        this.changed.emit();
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.reportError.set(e));
    } finally {
      this.reading = false;
    }
  }
}
