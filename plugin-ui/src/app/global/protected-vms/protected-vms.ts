import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrDatagridModule, type ClrDatagridComparatorInterface } from '@clr/angular/data/datagrid';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { COMPLIANCE_PATH, readCompliancePage, type VmCompliance } from '../../api/compliance';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { VM_NAMES_PATH, readVmPage, vmNamesOf } from '../../api/vm-summary';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { RpoStatusLabel } from '../../rpo/rpo-status-label';
import { GlobalView } from '../global-view';

/** A protected VM as the grid shows it: its compliance and the name vCenter gives it. */
export interface ProtectedVmRow extends VmCompliance {
  readonly name: string;
}

const SEVERITY = { violated: 0, 'at-risk': 1, compliant: 2 } as const;

/** Worst first: violated, then at risk, then compliant; the longest overdue first within each. */
export function compareBySeverity(a: VmCompliance, b: VmCompliance): number {
  return SEVERITY[a.status] - SEVERITY[b.status] || b.exceededBySeconds - a.exceededBySeconds || (b.ageSeconds ?? Infinity) - (a.ageSeconds ?? Infinity);
}

class SeverityComparator implements ClrDatagridComparatorInterface<ProtectedVmRow> {
  compare(a: ProtectedVmRow, b: ProtectedVmRow): number {
    return compareBySeverity(a, b);
  }
}

/**
 * Global > Protected VMs: every VM a policy protects and how it stands against its RPO, worst
 * first. Names come from the user's own view of the vCenter inventory; a VM the user cannot see
 * there shows by its managed object id.
 */
@Component({
  selector: 'll-protected-vms',
  imports: [ClrDatagridModule, VsphereDatePipe, DurationPipe, GlobalView, MessagePipe, ProblemAlert, RpoStatusLabel],
  templateUrl: './protected-vms.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProtectedVms {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();

  private readonly compliance = signal<readonly VmCompliance[]>([]);
  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly rows = computed<ProtectedVmRow[]>(() =>
    [...this.compliance()].sort(compareBySeverity).map((item) => ({ ...item, name: this.names().get(item.vm.id) ?? item.vm.moref })),
  );
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);
  protected readonly namesError = signal<LifelineApiError | null>(null);
  protected readonly severity = new SeverityComparator();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
  }

  private async load(): Promise<void> {
    const signal = this.aborter.signal;
    const names = this.api.get(VM_NAMES_PATH, readVmPage, signal).then(
      (page) => this.names.set(vmNamesOf(page)),
      (error: unknown) => reportApiError(error, this.aborter.signal, (e) => this.namesError.set(e)),
    );
    try {
      const page = await this.api.get(COMPLIANCE_PATH, readCompliancePage, signal);
      this.compliance.set(page.items);
      this.error.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
    await names;
  }
}
