import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, computed, inject, input, signal } from '@angular/core';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { DurationPipe } from '../i18n/duration-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { SitesApi } from './sites-api';
import type { VmReplication, VmReplicationState } from './sites-api.types';

const STATE_LABELS: Readonly<Record<VmReplicationState, { readonly text: MessageKey; readonly css: string }>> = {
  ok: { text: 'vmReplication.state.ok', css: 'label-success' },
  lagging: { text: 'vmReplication.state.lagging', css: 'label-warning' },
  failing: { text: 'vmReplication.state.failing', css: 'label-danger' },
  'site-not-paired': { text: 'vmReplication.state.siteNotPaired', css: 'label-danger' },
  'not-configured': { text: 'vmReplication.state.notConfigured', css: '' },
};

/**
 * The VM's copy at the DR site, on its Protection tab: which site, the last restore point
 * replicated there and when, how far the copy lags, whether the RPO holds at the DR site, the
 * points still waiting and the last error.
 */
@Component({
  selector: 'll-vm-replication-state',
  imports: [ClrSpinnerModule, DurationPipe, MessagePipe, ProblemAlert, VsphereDatePipe],
  template: `
    <section class="ll-replication">
      <h4 class="ll-replication-title">{{ 'vmReplication.title' | msg }}</h4>
      @if (loading()) {
        <p class="ll-replication-loading"><clr-spinner clrInline clrSmall /> {{ 'vmReplication.loading' | msg }}</p>
      }
      <ll-problem-alert [error]="error()" type="warning" />
      @if (replication(); as r) {
        <dl class="ll-facts ll-replication-facts">
          <dt>{{ 'vmReplication.site' | msg }}</dt>
          <dd class="ll-replication-site">{{ r.site?.name ?? ('vmReplication.noSite' | msg) }}</dd>
          <dt>{{ 'vmReplication.state' | msg }}</dt>
          <dd class="ll-replication-state">
            <span class="label" [class]="label().css">{{ label().text | msg }}</span>
          </dd>
          @if (r.state !== 'not-configured') {
            <dt>{{ 'vmReplication.last' | msg }}</dt>
            <dd class="ll-replication-last">
              @if (r.lastReplicatedAt; as at) {
                {{ at | date: 'medium' }}
                @if (r.lastReplicatedPointId; as id) {
                  <code class="ll-replication-point">{{ id }}</code>
                }
              } @else {
                {{ 'vmReplication.none' | msg }}
              }
            </dd>
            @if (r.lagSeconds !== null) {
              <dt>{{ 'vmReplication.lag' | msg }}</dt>
              <dd class="ll-replication-lag">{{ r.lagSeconds | duration }}</dd>
            }
            <dt>{{ 'vmReplication.rpo' | msg }}</dt>
            <dd class="ll-replication-rpo">
              @if (r.rpoMet === null) {
                {{ 'vmReplication.rpo.unknown' | msg }}
              } @else {
                <span class="label" [class]="r.rpoMet ? 'label-success' : 'label-danger'">
                  {{ (r.rpoMet ? 'vmReplication.rpo.met' : 'vmReplication.rpo.notMet') | msg }}
                </span>
              }
              @if (r.rpoSeconds !== null) {
                <span class="ll-replication-rpo-value">{{ 'vmReplication.rpo.value' | msg: { rpo: r.rpoSeconds | duration } }}</span>
              }
            </dd>
            @if (r.backlogPoints > 0) {
              <dt>{{ 'vmReplication.backlog' | msg }}</dt>
              <dd class="ll-replication-backlog">{{ r.backlogPoints }}</dd>
            }
            @if (r.lastError; as lastError) {
              <dt>{{ 'vmReplication.lastError' | msg }}</dt>
              <dd class="ll-replication-error">{{ lastError }}</dd>
            }
          }
        </dl>
      }
    </section>
  `,
  styles: `
    .ll-replication-point,
    .ll-replication-rpo-value {
      margin-left: 0.3rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmReplicationStateView implements OnInit {
  private readonly sites = inject(SitesApi);
  private readonly aborter = new AbortController();
  readonly vmId = input.required<string>();

  protected readonly replication = signal<VmReplication | null>(null);
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);
  protected readonly label = computed(() => STATE_LABELS[this.replication()?.state ?? 'not-configured']);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  ngOnInit(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.replication.set(await this.sites.vmReplication(this.vmId(), this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
