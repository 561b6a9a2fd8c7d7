import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrInputModule } from '@clr/angular/forms/input';

import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { readAuditPage, type AuditRecord } from '../../api/audit-record';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError } from '../../api/lifeline-api-error';
import { VM_NAMES_PATH, readVmPage, vmNamesOf } from '../../api/vm-summary';
import { contextObjectId } from '../../sdk/context-object-id';
import { MessagePipe } from '../../i18n/message-pipe';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { GlobalView } from '../global-view';

export const AUDIT_PAGE_SIZE = 50;

interface AuditFilter {
  readonly user: string;
  readonly action: string;
}

/**
 * Global > Audit: the audit log newest first, a page at a time from the server (the log only
 * grows), filtered by user and action as the server matches them: exactly, user without case.
 */
@Component({
  selector: 'll-audit',
  imports: [ClrDatagridModule, ClrInputModule, VsphereDatePipe, FormsModule, GlobalView, MessagePipe, ProblemAlert],
  templateUrl: './audit.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Audit {
  private readonly api = inject(LifelineApi);
  private readonly destroyed = new AbortController();
  private request: AbortController | null = null;

  protected readonly records = signal<readonly AuditRecord[]>([]);
  /** VM names by API id, asked for once a page names a VM; until then (or if it fails) morefs show. */
  private readonly names = signal<ReadonlyMap<string, string> | null>(null);
  private namesAsked = false;
  protected readonly total = signal(0);
  protected readonly offset = signal(0);
  protected readonly loading = signal(true);
  protected readonly error = signal<LifelineApiError | null>(null);

  protected readonly userInput = signal('');
  protected readonly actionInput = signal('');
  private readonly filter = signal<AuditFilter>({ user: '', action: '' });

  protected readonly from = computed(() => (this.total() === 0 ? 0 : this.offset() + 1));
  protected readonly to = computed(() => this.offset() + this.records().length);
  protected readonly hasPrevious = computed(() => this.offset() > 0);
  protected readonly hasNext = computed(() => this.offset() + AUDIT_PAGE_SIZE < this.total());

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.destroyed.abort();
      this.request?.abort();
    });
    void this.load(0);
  }

  protected applyFilter(): void {
    this.filter.set({ user: this.userInput().trim(), action: this.actionInput().trim() });
    void this.load(0);
  }

  protected clearFilter(): void {
    this.userInput.set('');
    this.actionInput.set('');
    this.applyFilter();
  }

  /** The object as a person names it: a VM by its name (`vm:<vCenter GUID>:<moref>` otherwise). */
  protected objectLabel(object: string | null): string {
    const id = vmObjectId(object);
    const name = id === null ? undefined : this.names()?.get(id);
    return name ?? object ?? '';
  }

  protected previous(): void {
    void this.load(Math.max(0, this.offset() - AUDIT_PAGE_SIZE));
  }

  protected next(): void {
    void this.load(this.offset() + AUDIT_PAGE_SIZE);
  }

  private async load(offset: number): Promise<void> {
    // Only the newest request may fill the grid; a slower earlier page must not overwrite it.
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const query = new URLSearchParams({ offset: String(offset), limit: String(AUDIT_PAGE_SIZE) });
    const { user, action } = this.filter();
    if (user !== '') {
      query.set('user', user);
    }
    if (action !== '') {
      query.set('action', action);
    }
    this.loading.set(true);
    try {
      const page = await this.api.get(`/api/v1/audit?${query.toString()}`, readAuditPage, request.signal);
      this.records.set(page.items);
      if (!this.namesAsked && page.items.some((r) => vmObjectId(r.object) !== null)) {
        this.namesAsked = true;
        void this.api.get(VM_NAMES_PATH, readVmPage, this.destroyed.signal).then(
          (vms) => this.names.set(vmNamesOf(vms)),
          () => undefined,
        );
      }
      this.total.set(page.total);
      this.offset.set(page.offset);
      this.error.set(null);
    } catch (error: unknown) {
      if (request.signal.aborted) {
        return;
      }
      if (!(error instanceof LifelineApiError)) {
        throw error;
      }
      this.error.set(error);
    } finally {
      if (this.request === request) {
        this.loading.set(false);
      }
    }
  }
}

/** The API id of the VM an audit object names (`vm:<vCenter GUID>:<moref>`), or null. */
function vmObjectId(object: string | null): string | null {
  const m = object === null ? null : /^vm:([^:]+):(.+)$/.exec(object);
  return m ? contextObjectId({ type: 'VirtualMachine', vcGuid: m[1]!, moref: m[2]! }) : null;
}
