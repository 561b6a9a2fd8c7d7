import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

import { ByteSizePipe } from '../i18n/byte-size-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import type { FailbackPart, PlanRunWithFailovers } from './dr-api.types';

const STATE_KEY: Readonly<Record<FailbackPart['state'], MessageKey>> = {
  running: 'dr.failbackState.running',
  done: 'dr.failbackState.done',
  failed: 'dr.failbackState.failed',
};

const SHUTDOWN_KEY: Readonly<Record<string, MessageKey>> = {
  guest: 'dr.failbackShutdown.guest',
  'powered-off': 'dr.failbackShutdown.powered-off',
  'was-off': 'dr.failbackShutdown.was-off',
};

/**
 * The report of a recovery plan's failback, one row per VM in the order the run took them (the
 * plan's last group first): its failback's state, how the VM here came to be off, the chunks sent
 * back of its last point, the VM it runs as at the production site, when its step started and
 * ended, and every failure.
 */
@Component({
  selector: 'll-plan-failback-report',
  imports: [ByteSizePipe, MessagePipe, VsphereDatePipe],
  template: `
    <table class="table table-compact ll-failback-report">
      <thead>
        <tr>
          <th class="left">{{ 'dr.failbackReport.group' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.vm' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.state' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.shutdown' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.sent' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.now' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.started' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.ended' | msg }}</th>
          <th class="left">{{ 'dr.failbackReport.failures' | msg }}</th>
        </tr>
      </thead>
      <tbody>
        @for (row of rows(); track row.f.id) {
          <tr class="ll-failback-row" [attr.data-failover-id]="row.f.id">
            <td class="left ll-failback-group">{{ row.group }}</td>
            <td class="left ll-failback-vm">{{ row.f.name }} → {{ row.f.sourceVm.name }}</td>
            @if (row.f.failback; as fb) {
              <td class="left ll-failback-state">{{ stateKey[fb.state] | msg }}</td>
              <td class="left ll-failback-shutdown">{{ fb.shutdown && shutdownKey[fb.shutdown] ? (shutdownKey[fb.shutdown]! | msg) : '—' }}</td>
              <td class="left ll-failback-sent">
                @if (fb.chunks !== null) {
                  {{ 'dr.failbackReport.sentLine' | msg: { sent: fb.chunksSent ?? 0, chunks: fb.chunks, bytes: (fb.bytesSent ?? 0 | bytes) } }}
                } @else {
                  —
                }
              </td>
              <td class="left ll-failback-now">{{ fb.sourceVm ? fb.sourceVm.name + ' (' + fb.sourceVm.moref + ')' : '—' }}</td>
              <td class="left ll-failback-started">{{ fb.startedAt | date: 'medium' }}</td>
              <td class="left ll-failback-ended">{{ fb.endedAt ? (fb.endedAt | date: 'medium') : '—' }}</td>
              <td class="left ll-failback-failures">
                @for (failure of fb.failures; track $index) {
                  <div class="ll-failback-failure">{{ failure }}</div>
                } @empty {
                  {{ 'dr.report.noFailures' | msg }}
                }
              </td>
            } @else {
              <td class="left ll-failback-state" colspan="7">—</td>
            }
          </tr>
        }
      </tbody>
    </table>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PlanFailbackReport {
  readonly run = input.required<PlanRunWithFailovers>();
  protected readonly stateKey = STATE_KEY;
  protected readonly shutdownKey = SHUTDOWN_KEY;

  /** The plan's last group first: the order the failback took. */
  protected readonly rows = computed(() =>
    this.run()
      .failovers.map((fs, g) => fs.map((f) => ({ group: g + 1, f })))
      .reverse()
      .flat(),
  );
}
