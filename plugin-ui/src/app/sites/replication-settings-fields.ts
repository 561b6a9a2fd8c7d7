import { ChangeDetectionStrategy, Component, input, viewChild } from '@angular/core';
import { ReactiveFormsModule } from '@angular/forms';
import { ClrCheckboxModule } from '@clr/angular/forms/checkbox';
import { ClrCommonFormsModule, ClrForm } from '@clr/angular/forms/common';
import { ClrInputModule } from '@clr/angular/forms/input';
import { ClrNumberInputModule } from '@clr/angular/forms/number-input';

import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import {
  BANDWIDTH_MAX_MBPS,
  CONCURRENT_VMS_MAX,
  IMMUTABLE_DAYS_MAX,
  REPLICA_RETENTION_RULES,
  RETENTION_COUNT_MAX,
  type ReplicaRetentionRule,
  type ReplicationSettingsForm,
  type SettingsPart,
} from './replication-settings-form';

const RETENTION_LABELS: Readonly<Record<ReplicaRetentionRule, MessageKey>> = {
  keepLast: 'policyForm.retention.keepLast',
  daily: 'policyForm.retention.daily',
  weekly: 'policyForm.retention.weekly',
  monthly: 'policyForm.retention.monthly',
};

/**
 * The fields of a pairing's replication settings, for the pairing wizard (all of them) and the
 * Edit settings dialog (this side's part as fields, the other side's read-only, naming the site
 * where it is changed), which own the form and send it.
 */
@Component({
  selector: 'll-replication-settings-fields',
  imports: [ClrCheckboxModule, ClrCommonFormsModule, ClrInputModule, ClrNumberInputModule, MessagePipe, ReactiveFormsModule],
  templateUrl: './replication-settings-fields.html',
  styleUrl: './replication-settings-fields.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ReplicationSettingsFields {
  readonly form = input.required<ReplicationSettingsForm>();
  /** The id of the form element, for a submit button outside it. */
  readonly formId = input('ll-replication-settings');
  /** Which part is edited here; the other one is shown read-only. */
  readonly part = input<SettingsPart>('all');
  /** The paired site, named where its part is shown read-only. */
  readonly peerName = input('');
  private readonly clrForm = viewChild(ClrForm);

  protected readonly retentionRules = REPLICA_RETENTION_RULES.map((rule) => ({ rule, label: RETENTION_LABELS[rule], max: RETENTION_COUNT_MAX[rule] }));
  protected readonly bandwidthMax = BANDWIDTH_MAX_MBPS;
  protected readonly immutableMax = IMMUTABLE_DAYS_MAX;
  protected readonly concurrentMax = CONCURRENT_VMS_MAX;

  protected edits(part: 'sending' | 'keeping'): boolean {
    return this.part() === 'all' || this.part() === part;
  }

  /** Shows every field's error, as a submit does. */
  showErrors(): void {
    this.clrForm()?.markAsTouched();
    this.form().markAllAsTouched();
  }
}
