import { FormControl, FormGroup, type AbstractControl, type ValidatorFn } from '@angular/forms';

import type { ProblemFieldError } from '../../api/lifeline-api-error';
import { countControl, keepsSomething } from '../../forms/count-controls';
import { applyServerFieldErrors } from '../../forms/server-field-errors';
import {
  IMMUTABILITY_DEFAULT_DAYS,
  IMMUTABILITY_MAX_DAYS,
  IMMUTABILITY_MIN_DAYS,
  POLICY_NAME_MAX,
  RETENTION_MAX,
  RETENTION_RULES,
  RPO_MAX_SECONDS,
  RPO_MIN_SECONDS,
  type ConsistencyMode,
  type Policy,
  type PolicySpec,
  type QuiesceFailureAction,
  type Retention,
  type RetentionRule,
} from '../../api/policy';

/**
 * The policy form's model: the same bounds as the server's validatePolicy(), so a user learns of
 * a mistake beside the field before saving, and the mapping from the server's field paths back to
 * form controls for whatever the server refuses anyway.
 */

export const RPO_MIN_MINUTES = RPO_MIN_SECONDS / 60;
export const RPO_MAX_MINUTES = RPO_MAX_SECONDS / 60;

// eslint-disable-next-line no-control-regex -- control characters are what the server refuses in a name
const CONTROL = /[\u0000-\u001f\u007f]/;

const policyName: ValidatorFn = (control) => {
  const value: unknown = control.value;
  const name = typeof value === 'string' ? value.trim() : '';
  return name.length < 1 || name.length > POLICY_NAME_MAX || CONTROL.test(name) ? { policyName: true } : null;
};

export type RetentionControls = Record<RetentionRule, FormControl<number | null>>;

export interface PolicyFormControls {
  name: FormControl<string>;
  rpoMinutes: FormControl<number | null>;
  retention: FormGroup<RetentionControls>;
  immutabilityDays: FormControl<number | null>;
  consistency: FormControl<ConsistencyMode>;
  onQuiesceFailure: FormControl<QuiesceFailureAction>;
  /** The hook set's name; '' for none. */
  hookSet: FormControl<string>;
  /** Which points go to the server's object storage: 'none', 'all' or 'weekly-monthly'. */
  copyPoints: FormControl<CopyPoints>;
  /** How long the copies stay locked there, in days from each point's creation. */
  copyImmutableDays: FormControl<number | null>;
}

/** The copy choice of the form: none, or the points copyToObjectStorage copies. */
export type CopyPoints = 'none' | 'all' | 'weekly-monthly';

/** Days a new copy stays locked by default: a year, the long-term archive it is for. */
export const COPY_DEFAULT_DAYS = 365;

export type PolicyForm = FormGroup<PolicyFormControls>;

/** A new policy starts as a sensible daily backup kept two weeks; an existing one as it is. */
export function createPolicyForm(policy: Policy | null): PolicyForm {
  const retention = policy?.retention ?? { keepLast: 0, hourly: 0, daily: 14, weekly: 0, monthly: 0, yearly: 0 };
  const retentionControls = Object.fromEntries(
    RETENTION_RULES.map((rule) => [rule, countControl(retention[rule], 0, RETENTION_MAX[rule])]),
  ) as RetentionControls;
  const form = new FormGroup<PolicyFormControls>({
    name: new FormControl(policy?.name ?? '', { nonNullable: true, validators: [policyName] }),
    rpoMinutes: countControl(policy === null ? 60 * 24 : Math.round(policy.rpoSeconds / 60), RPO_MIN_MINUTES, RPO_MAX_MINUTES),
    retention: new FormGroup(retentionControls, { validators: keepsSomething }),
    immutabilityDays: countControl(policy?.immutabilityDays ?? IMMUTABILITY_DEFAULT_DAYS, IMMUTABILITY_MIN_DAYS, IMMUTABILITY_MAX_DAYS),
    consistency: new FormControl<ConsistencyMode>(policy?.consistency ?? 'application', { nonNullable: true }),
    onQuiesceFailure: new FormControl<QuiesceFailureAction>(policy?.onQuiesceFailure ?? 'fail', { nonNullable: true }),
    hookSet: new FormControl(policy?.hookSet ?? '', { nonNullable: true }),
    copyPoints: new FormControl<CopyPoints>(policy?.copyToObjectStorage?.points ?? 'none', { nonNullable: true }),
    copyImmutableDays: countControl(policy?.copyToObjectStorage?.immutableDays ?? COPY_DEFAULT_DAYS, IMMUTABILITY_MIN_DAYS, IMMUTABILITY_MAX_DAYS),
  });
  // The copies' lock counts only while copies are asked for.
  const days = form.controls.copyImmutableDays;
  const follow = (points: CopyPoints): void => {
    if (points === 'none') {
      days.disable({ emitEvent: false });
    } else {
      days.enable({ emitEvent: false });
    }
  };
  follow(form.controls.copyPoints.value);
  form.controls.copyPoints.valueChanges.subscribe(follow);
  return form;
}

/**
 * The request body. Fields the form does not edit (backup windows, excluded disks, replication)
 * are sent back as they were, because PUT replaces the whole policy. An RPO the user did not touch
 * keeps its exact seconds, which minutes could not express.
 */
export function policySpecOf(form: PolicyForm, original: Policy | null): PolicySpec {
  const value = form.getRawValue();
  const retention = Object.fromEntries(RETENTION_RULES.map((rule) => [rule, value.retention[rule] ?? 0])) as Retention;
  const rpoSeconds = original !== null && form.controls.rpoMinutes.pristine ? original.rpoSeconds : (value.rpoMinutes ?? 0) * 60;
  const kept =
    original === null
      ? {}
      : {
          excludedDisks: original.excludedDisks,
          windows: original.windows,
          replicationSite: original.replicationSite ?? null,
        };
  return {
    name: value.name.trim(),
    rpoSeconds,
    retention,
    immutabilityDays: value.immutabilityDays ?? 0,
    consistency: value.consistency,
    onQuiesceFailure: value.onQuiesceFailure,
    hookSet: value.hookSet === '' ? null : value.hookSet,
    copyToObjectStorage: value.copyPoints === 'none' ? null : { points: value.copyPoints, immutableDays: value.copyImmutableDays ?? 0 },
    ...kept,
  };
}

/** The control a server field path names, e.g. `retention.daily`; null for fields the form lacks. */
export function controlForField(form: PolicyForm, field: string): AbstractControl | null {
  if (field === 'rpoSeconds') {
    return form.controls.rpoMinutes;
  }
  if (field.startsWith('retention.')) {
    const rule = field.slice('retention.'.length);
    return (RETENTION_RULES as readonly string[]).includes(rule) ? form.controls.retention.controls[rule as RetentionRule] : null;
  }
  const { name, retention, immutabilityDays, consistency, onQuiesceFailure, hookSet, copyPoints, copyImmutableDays } = form.controls;
  const byField: Readonly<Record<string, AbstractControl | undefined>> = {
    name,
    retention,
    immutabilityDays,
    consistency,
    onQuiesceFailure,
    hookSet,
    copyToObjectStorage: copyPoints,
    'copyToObjectStorage.points': copyPoints,
    'copyToObjectStorage.immutableDays': copyImmutableDays,
  };
  return Object.hasOwn(byField, field) ? (byField[field] ?? null) : null;
}

/**
 * Puts each server field error on its control as `{ server: message }`, where the field shows it
 * until the user changes the value; answers the errors no control shows.
 */
export function applyServerErrors(form: PolicyForm, errors: readonly ProblemFieldError[]): ProblemFieldError[] {
  return applyServerFieldErrors(errors, (field) => controlForField(form, field));
}
