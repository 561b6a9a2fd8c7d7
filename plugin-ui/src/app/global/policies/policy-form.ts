import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, computed, inject, input, output, signal, viewChild } from '@angular/core';
import { ReactiveFormsModule } from '@angular/forms';
import { ClrCommonFormsModule, ClrForm } from '@clr/angular/forms/common';
import { ClrInputModule } from '@clr/angular/forms/input';
import { ClrNumberInputModule } from '@clr/angular/forms/number-input';
import { ClrSelectModule } from '@clr/angular/forms/select';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';

import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { HOOK_SETS_PATH, POLICY_NAME_MAX, RETENTION_MAX, RETENTION_RULES, readHookSetNames, readPolicy, type Policy, type RetentionRule } from '../../api/policy';
import { DurationPipe } from '../../i18n/duration-pipe';
import { MessagePipe } from '../../i18n/message-pipe';
import type { MessageKey } from '../../i18n/messages-en-us';
import { ProblemAlert } from '../../problem-alert/problem-alert';
import { applyServerErrors, createPolicyForm, policySpecOf } from './policy-form-model';

const RETENTION_LABELS: Readonly<Record<RetentionRule, MessageKey>> = {
  keepLast: 'policyForm.retention.keepLast',
  hourly: 'policyForm.retention.hourly',
  daily: 'policyForm.retention.daily',
  weekly: 'policyForm.retention.weekly',
  monthly: 'policyForm.retention.monthly',
  yearly: 'policyForm.retention.yearly',
};

/** Creates a policy (no `policy` given) or replaces one, in a Clarity modal. */
@Component({
  selector: 'll-policy-form',
  imports: [ClrAlertModule, ClrCommonFormsModule, ClrInputModule, ClrModalModule, ClrNumberInputModule, ClrSelectModule, DurationPipe, MessagePipe, ProblemAlert, ReactiveFormsModule],
  templateUrl: './policy-form.html',
  styleUrl: './policy-form.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyForm implements OnInit {
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();
  private readonly clrForm = viewChild(ClrForm);

  readonly policy = input<Policy | null>(null);
  readonly saved = output<Policy>();
  readonly closed = output();

  protected readonly nameMax = POLICY_NAME_MAX;
  protected readonly retentionRules = RETENTION_RULES.map((rule) => ({ rule, label: RETENTION_LABELS[rule], max: RETENTION_MAX[rule] }));
  protected form = createPolicyForm(null);
  protected readonly saving = signal(false);
  protected readonly error = signal<LifelineApiError | null>(null);
  /** Server field errors no field of this form shows, listed in the alert instead. */
  protected readonly unshownFieldErrors = signal(false);
  protected readonly editing = computed(() => this.policy() !== null);
  /** The hook sets the server declares; null until they are known. */
  private readonly hookSets = signal<readonly string[] | null>(null);
  /**
   * What the scripts select offers besides None: the server's sets, and the policy's own set if
   * the server no longer declares it, marked so, rather than silently showing None.
   */
  protected readonly hookSetOptions = computed(() => {
    const configured = this.hookSets() ?? [];
    const current = this.policy()?.hookSet ?? null;
    const options = configured.map((name) => ({ name, configured: true }));
    return current === null || configured.includes(current) ? options : [...options, { name: current, configured: false }];
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  /**
   * The best RPO the policy's VMs allow with their measured backup durations and the configured
   * job slots, when the RPO in the form is below it (the server's judgement of the saved policy,
   * held against what is being typed); null otherwise.
   */
  protected infeasibleBelow(): number | null {
    const best = this.policy()?.feasibility.bestRpoSeconds ?? null;
    const minutes = this.form.controls.rpoMinutes.value;
    // In whole minutes, up, as the form sets the RPO.
    return best !== null && typeof minutes === 'number' && minutes * 60 < best ? Math.ceil(best / 60) * 60 : null;
  }

  // Inputs arrive after the constructor, so the form of the policy being edited is built here.
  ngOnInit(): void {
    this.form = createPolicyForm(this.policy());
    void this.loadHookSets();
  }

  private async loadHookSets(): Promise<void> {
    try {
      this.hookSets.set(await this.api.get(HOOK_SETS_PATH, readHookSetNames, this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    }
  }

  protected async save(): Promise<void> {
    if (this.form.invalid) {
      this.clrForm()?.markAsTouched();
      this.form.markAllAsTouched();
      return;
    }
    const original = this.policy();
    const spec = policySpecOf(this.form, original);
    this.saving.set(true);
    this.error.set(null);
    try {
      const policy =
        original === null
          ? await this.api.post('/api/v1/policies', spec, readPolicy, this.aborter.signal)
          : await this.api.put(`/api/v1/policies/${encodeURIComponent(original.id)}`, spec, readPolicy, this.aborter.signal);
      this.saved.emit(policy);
    } catch (error: unknown) {
      if (!(error instanceof LifelineApiError)) {
        throw error;
      }
      const unshown = applyServerErrors(this.form, error.errors);
      this.unshownFieldErrors.set(unshown.length > 0);
      this.error.set(error);
    } finally {
      this.saving.set(false);
    }
  }
}
