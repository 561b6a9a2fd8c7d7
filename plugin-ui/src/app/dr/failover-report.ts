import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';

import { DurationPipe } from '../i18n/duration-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import type { Failover } from './dr-api.types';

/** Seconds between reads of a report while its job runs. */
export const REPORT_REFRESH_SECONDS = 3;

export const FAILOVER_STATE_KEY: Readonly<Record<Failover['state'], MessageKey>> = {
  starting: 'dr.state.starting',
  up: 'dr.state.up',
  failed: 'dr.state.failed',
  cleaning: 'dr.state.cleaning',
  cleaned: 'dr.state.cleaned',
};

/**
 * The report of failovers or drills, one row per VM: the VM made, its state, when its start
 * began, when it was powered on and when VMware Tools was ready, the RTO measured, every
 * failure with the step it happened in, and each network override of the plan no mapping used.
 */
@Component({
  selector: 'll-failover-report',
  imports: [ClrDatagridModule, DurationPipe, MessagePipe, VsphereDatePipe],
  template: `
    <table class="table table-compact ll-failover-report">
      <thead>
        <tr>
          <th class="left">{{ 'dr.report.vm' | msg }}</th>
          <th class="left">{{ 'dr.report.state' | msg }}</th>
          <th class="left">{{ 'dr.report.started' | msg }}</th>
          <th class="left">{{ 'dr.report.poweredOn' | msg }}</th>
          <th class="left">{{ 'dr.report.toolsReady' | msg }}</th>
          <th class="left">{{ 'dr.report.rto' | msg }}</th>
          <th class="left">{{ 'dr.report.failures' | msg }}</th>
        </tr>
      </thead>
      <tbody>
        @for (f of failovers(); track f.id) {
          <tr class="ll-report-row" [attr.data-failover-id]="f.id">
            <td class="left ll-report-vm">{{ f.sourceVm.name }} → {{ f.name }}</td>
            <td class="left ll-report-state">{{ stateKey[f.state] | msg }}</td>
            <td class="left ll-report-started">{{ f.report.startedAt ? (f.report.startedAt | date: 'medium') : '—' }}</td>
            <td class="left ll-report-powered">{{ f.report.poweredOnAt ? (f.report.poweredOnAt | date: 'medium') : '—' }}</td>
            <td class="left ll-report-tools">{{ f.report.toolsReadyAt ? (f.report.toolsReadyAt | date: 'medium') : ('dr.report.toolsNotReady' | msg) }}</td>
            <td class="left ll-report-rto">{{ f.report.rtoSeconds === null ? '—' : (rounded(f.report.rtoSeconds) | duration) }}</td>
            <td class="left ll-report-failures">
              @for (failure of f.report.failures; track $index) {
                <div class="ll-report-failure">{{ failure }}</div>
              } @empty {
                {{ 'dr.report.noFailures' | msg }}
              }
              @for (o of f.report.unusedOverrides ?? []; track o.source) {
                <div class="ll-report-unused-override">{{ overrideKey[o.reason] | msg: { source: o.source, target: o.target } }}</div>
              }
            </td>
          </tr>
        }
      </tbody>
    </table>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FailoverReport {
  readonly failovers = input.required<readonly Failover[]>();
  protected readonly stateKey = FAILOVER_STATE_KEY;
  protected readonly overrideKey: Readonly<Record<'test-networks' | 'no-card', MessageKey>> = {
    'test-networks': 'dr.report.overrideUnused.test-networks',
    'no-card': 'dr.report.overrideUnused.no-card',
  };

  protected rounded(seconds: number): number {
    return Math.max(0, Math.round(seconds));
  }
}
