import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, inject, input, signal } from '@angular/core';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { DrApi, NO_DR_FEATURES, type DrFeatures } from './dr-api';
import type { ReplicatedVm } from './dr-api.types';
import { MappingsEditor } from './mappings-editor';
import { ReplicatedVms } from './replicated-vms';

/**
 * Disaster recovery of one pairing, at its DR site, as the Sites view shows it below the pairing:
 * the production site's replicated VMs with their mapping status and actions, and the pairing's
 * mappings editor. Both read the same list of replicated VMs, read again after a save or an action.
 */
@Component({
  selector: 'll-dr-site',
  imports: [MappingsEditor, ProblemAlert, ReplicatedVms],
  template: `
    <div class="ll-dr-site" [attr.data-site-id]="siteId()">
      <ll-problem-alert [error]="error()" />
      <ll-replicated-vms [siteId]="siteId()" [siteName]="siteName()" [vms]="vms()" [loading]="loading()" [canRestore]="canRestore()" [planned]="features().plannedVm" (changed)="reload()" />
      <ll-mappings-editor [siteId]="siteId()" [siteName]="siteName()" [vms]="vms()" [canAdmin]="canAdmin()" (saved)="reload()" />
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DrSite implements OnInit {
  private readonly api = inject(DrApi);
  private readonly aborter = new AbortController();

  readonly siteId = input.required<string>();
  readonly siteName = input.required<string>();
  readonly canAdmin = input(false);
  readonly canRestore = input(false);

  protected readonly vms = signal<readonly ReplicatedVm[]>([]);
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);
  protected readonly features = signal<DrFeatures>(NO_DR_FEATURES);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  ngOnInit(): void {
    this.reload();
    void this.api.features(this.aborter.signal).then(
      (f) => this.features.set(f),
      // Without the document, only what every server offers is shown.
      () => undefined,
    );
  }

  protected reload(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.vms.set(await this.api.replicatedVms(this.siteId(), this.aborter.signal));
      this.error.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
