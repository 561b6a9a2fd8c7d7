import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrModalModule } from '@clr/angular/modal';

import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { RETENTION_RULES, readPolicyPage, type Policy, type RetentionRule } from '../../api/policy';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import { Messages } from '../../i18n/messages';
import type { MessageKey } from '../../i18n/messages-en-us';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { GlobalView } from '../global-view';
import { PolicyForm } from './policy-form';

const RETENTION_SUMMARY: Readonly<Record<RetentionRule, MessageKey>> = {
  keepLast: 'policies.retention.keepLast',
  hourly: 'policies.retention.hourly',
  daily: 'policies.retention.daily',
  weekly: 'policies.retention.weekly',
  monthly: 'policies.retention.monthly',
  yearly: 'policies.retention.yearly',
};

/** Policies a server can hold are few; one page of the largest size holds them all. */
const POLICY_PAGE = '/api/v1/policies?limit=1000';

/** Global > Policies: every protection policy, and creating, editing and deleting them. */
@Component({
  selector: 'll-policies',
  imports: [ClrDatagridModule, ClrModalModule, DurationPipe, GlobalView, MessagePipe, PolicyForm, ProblemAlert],
  templateUrl: './policies.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Policies {
  private readonly api = inject(LifelineApi);
  private readonly messages = inject(Messages);
  private readonly aborter = new AbortController();

  protected readonly policies = signal<Policy[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);

  /** The policy in the form: null for a new one; undefined while the form is closed. */
  protected readonly editing = signal<Policy | null | undefined>(undefined);
  protected readonly formOpen = computed(() => this.editing() !== undefined);

  protected readonly deleting = signal<Policy | null>(null);
  protected readonly deleteError = signal<LifelineApiError | null>(null);
  protected readonly deleteBusy = signal(false);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
  }

  protected retentionSummary(policy: Policy): string {
    return RETENTION_RULES.filter((rule) => policy.retention[rule] > 0)
      .map((rule) => this.messages.text(RETENTION_SUMMARY[rule], { n: policy.retention[rule] }))
      .join(', ');
  }

  protected saved(): void {
    this.editing.set(undefined);
    void this.load();
  }

  protected askDelete(policy: Policy): void {
    this.deleteError.set(null);
    this.deleting.set(policy);
  }

  protected async confirmDelete(): Promise<void> {
    const policy = this.deleting();
    if (policy === null) {
      return;
    }
    this.deleteBusy.set(true);
    this.deleteError.set(null);
    try {
      await this.api.delete(`/api/v1/policies/${encodeURIComponent(policy.id)}`, this.aborter.signal);
      this.deleting.set(null);
      await this.load();
    } catch (error: unknown) {
      // A 409 policy-in-use stays in the dialog, which names the policy it is about.
      reportApiError(error, this.aborter.signal, (e) => this.deleteError.set(e));
    } finally {
      this.deleteBusy.set(false);
    }
  }

  private async load(): Promise<void> {
    this.loading.set(true);
    try {
      const page = await this.api.get(POLICY_PAGE, readPolicyPage, this.aborter.signal);
      this.policies.set([...page.items]);
      this.loadError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
