import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { GlobalView } from '../global/global-view';
import { MessagePipe } from '../i18n/message-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { DrApi, NO_DR_FEATURES, type DrFeatures } from './dr-api';
import type { ReplicatedVm, RootCapabilities, SiteReplicatedVm } from './dr-api.types';
import { ReplicatedVms } from './replicated-vms';

/**
 * Global > Replicated VMs, at the DR site: every VM the production sites replicate here, by site —
 * its latest point, the lag, which mapping a failover or a drill lacks (named), and *Fail over…*,
 * *Test…* (and *Planned migration…* when the server offers it) with the same confirmations, job
 * progress and reports as the Sites view. The actions need Lifeline Restore at the inventory root;
 * without it they are disabled with the reason.
 */
@Component({
  selector: 'll-replicated-vms-page',
  imports: [GlobalView, MessagePipe, ProblemAlert, ReplicatedVms],
  template: `
    <ll-global-view>
      <ll-problem-alert [error]="error()" />
      @if (!loading() && bySite().length === 0 && error() === null) {
        <p class="ll-hint ll-replicated-page-none">{{ 'dr.replicatedPage.none' | msg }}</p>
      }
      @for (g of bySite(); track g.site.id) {
        <ll-replicated-vms [siteId]="g.site.id" [siteName]="g.site.name" [vms]="g.vms" [loading]="loading()" [canRestore]="canRestore()" [planned]="features().plannedVm" (changed)="reload()" />
      }
    </ll-global-view>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ReplicatedVmsPage {
  private readonly api = inject(DrApi);
  private readonly aborter = new AbortController();

  protected readonly vms = signal<readonly SiteReplicatedVm[]>([]);
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);
  protected readonly caps = signal<RootCapabilities | null>(null);
  protected readonly features = signal<DrFeatures>(NO_DR_FEATURES);
  protected readonly canRestore = computed(() => this.caps()?.restore === true);

  /** The VMs grouped by their source site, in the order the server lists them. */
  protected readonly bySite = computed(() => {
    const groups: { site: { id: string; name: string }; vms: ReplicatedVm[] }[] = [];
    for (const { site, ...vm } of this.vms()) {
      let g = groups.find((x) => x.site.id === site.id);
      if (g === undefined) {
        g = { site, vms: [] };
        groups.push(g);
      }
      g.vms.push(vm);
    }
    return groups;
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.api.capabilities(this.aborter.signal).then(
      (caps) => this.caps.set(caps),
      // Unknown privileges allow nothing; every call is checked by the server anyway.
      () => undefined,
    );
    void this.api.features(this.aborter.signal).then(
      (f) => this.features.set(f),
      () => undefined,
    );
    this.reload();
  }

  protected reload(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.vms.set(await this.api.allReplicatedVms(this.aborter.signal));
      this.error.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
