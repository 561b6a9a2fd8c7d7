import { FormControl, FormGroup, Validators, type AbstractControl, type ValidationErrors, type ValidatorFn } from '@angular/forms';

import type { ProblemFieldError } from '../api/lifeline-api-error';
import { countControl, keepsSomething } from '../forms/count-controls';
import { applyServerFieldErrors } from '../forms/server-field-errors';
import type { Peer, ReplicaRetention, ReplicationSettings } from './sites-api.types';

/**
 * The replication settings of a pairing as a form: bandwidth limit, an optional lower limit
 * during set hours, the GFS rule and immutability the DR site applies to replicas, and how many
 * VMs replicate at once. The server validates again and names the field it refuses; those
 * messages are put beside the field they name.
 */

export const REPLICA_RETENTION_RULES = ['keepLast', 'daily', 'weekly', 'monthly'] as const satisfies readonly (keyof ReplicaRetention)[];
export type ReplicaRetentionRule = (typeof REPLICA_RETENTION_RULES)[number];

/** The bounds the sites API holds settings to; the server checks them again. */
export const IMMUTABLE_DAYS_MAX = 3650;
export const RETENTION_COUNT_MAX: ReplicaRetention = { keepLast: 10_000, daily: 3660, weekly: 520, monthly: 1200 };
export const CONCURRENT_VMS_MAX = 16;
/** 100 GB/s: more than any link; a larger number is a typo. */
export const BANDWIDTH_MAX_MBPS = 100_000;

/** What a new pairing starts with, as the server's defaults: no bandwidth limit, 7 last and daily, 4 weekly, 6 monthly replicas, locked a week, 2 VMs at once. */
export const DEFAULT_REPLICATION_SETTINGS: ReplicationSettings = {
  bandwidthMBps: null,
  window: null,
  retention: { keepLast: 7, daily: 7, weekly: 4, monthly: 6 },
  immutableDays: 7,
  maxConcurrentVms: 2,
};

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

const bandwidth: ValidatorFn = (control) =>
  control.value === null || (typeof control.value === 'number' && control.value > 0 && control.value <= BANDWIDTH_MAX_MBPS) ? null : { bandwidth: true };
const time: ValidatorFn = (control) => (typeof control.value === 'string' && HH_MM.test(control.value) ? null : { time: true });

export interface WindowControls {
  enabled: FormControl<boolean>;
  from: FormControl<string>;
  to: FormControl<string>;
  bandwidthMBps: FormControl<number | null>;
}

export type RetentionControls = Record<ReplicaRetentionRule, FormControl<number | null>>;

export interface ReplicationSettingsControls {
  /** Empty = unlimited. */
  bandwidthMBps: FormControl<number | null>;
  window: FormGroup<WindowControls>;
  retention: FormGroup<RetentionControls>;
  immutableDays: FormControl<number | null>;
  maxConcurrentVms: FormControl<number | null>;
}

export type ReplicationSettingsForm = FormGroup<ReplicationSettingsControls>;

/**
 * The settings each side of a pairing acts on, and is the only one to change: the source sends
 * (bandwidth limit, window, VMs at once), the DR site keeps its replicas (retention, immutability).
 * The pairing wizard sets all of them once.
 */
export type SettingsPart = 'all' | 'sending' | 'keeping';
export const SENDING_SETTINGS = ['bandwidthMBps', 'window', 'maxConcurrentVms'] as const satisfies readonly (keyof ReplicationSettings)[];
export const KEEPING_SETTINGS = ['retention', 'immutableDays'] as const satisfies readonly (keyof ReplicationSettings)[];

/** The part of a pairing's settings this site changes: the sending part when it replicates to the peer (the peer's role is 'target'). */
export function ownSettingsPart(peer: Pick<Peer, 'role'>): 'sending' | 'keeping' {
  return peer.role === 'target' ? 'sending' : 'keeping';
}

function partKeys(part: SettingsPart): ReadonlyArray<keyof ReplicationSettings> {
  return part === 'sending' ? SENDING_SETTINGS : part === 'keeping' ? KEEPING_SETTINGS : [...SENDING_SETTINGS, ...KEEPING_SETTINGS];
}

/** A window's limit is a lower one: not above the general limit when there is one; its hours must differ. */
const windowRules: ValidatorFn = (group: AbstractControl): ValidationErrors | null => {
  const window = (group as FormGroup<ReplicationSettingsControls>).controls.window;
  const { enabled, from, to, bandwidthMBps } = window.getRawValue();
  // Disabled: the other side's part, shown and never checked here.
  if (!enabled || window.disabled) {
    return null;
  }
  const limit = (group as FormGroup<ReplicationSettingsControls>).controls.bandwidthMBps.value;
  const errors: ValidationErrors = {};
  if (from === to && HH_MM.test(from)) {
    errors['windowEmpty'] = true;
  }
  if (limit !== null && bandwidthMBps !== null && bandwidthMBps > limit) {
    errors['windowNotLower'] = true;
  }
  return Object.keys(errors).length === 0 ? null : errors;
};

export function createReplicationSettingsForm(settings: ReplicationSettings = DEFAULT_REPLICATION_SETTINGS, part: SettingsPart = 'all'): ReplicationSettingsForm {
  const window = settings.window;
  const windowGroup = new FormGroup<WindowControls>({
    enabled: new FormControl(window !== null, { nonNullable: true }),
    from: new FormControl(window?.from ?? '08:00', { nonNullable: true, validators: [time] }),
    to: new FormControl(window?.to ?? '18:00', { nonNullable: true, validators: [time] }),
    bandwidthMBps: new FormControl<number | null>(window?.bandwidthMBps ?? null, [Validators.required, bandwidth]),
  });
  const enableWindowFields = (enabled: boolean): void => {
    for (const name of ['from', 'to', 'bandwidthMBps'] as const) {
      const control = windowGroup.controls[name];
      if (enabled) {
        control.enable({ emitEvent: false });
      } else {
        control.disable({ emitEvent: false });
      }
    }
  };
  enableWindowFields(window !== null);
  windowGroup.controls.enabled.valueChanges.subscribe(enableWindowFields);
  const retention = Object.fromEntries(REPLICA_RETENTION_RULES.map((rule) => [rule, countControl(settings.retention[rule], 0, RETENTION_COUNT_MAX[rule])])) as RetentionControls;
  const form = new FormGroup<ReplicationSettingsControls>(
    {
      bandwidthMBps: new FormControl<number | null>(settings.bandwidthMBps, [bandwidth]),
      window: windowGroup,
      retention: new FormGroup(retention, { validators: keepsSomething }),
      immutableDays: countControl(settings.immutableDays, 0, IMMUTABLE_DAYS_MAX),
      maxConcurrentVms: countControl(settings.maxConcurrentVms, 1, CONCURRENT_VMS_MAX),
    },
    { validators: windowRules },
  );
  // The other side's part is shown, never changed or checked here.
  const own = partKeys(part);
  for (const key of [...SENDING_SETTINGS, ...KEEPING_SETTINGS]) {
    if (!own.includes(key)) {
      form.controls[key].disable({ emitEvent: false });
    }
  }
  return form;
}

/** Only the part of the settings this side changes, as PATCH /sites/{id} takes them (the rest stays as it is). */
export function replicationSettingsPartOf(form: ReplicationSettingsForm, part: SettingsPart): Partial<ReplicationSettings> {
  const all = replicationSettingsOf(form);
  return Object.fromEntries(partKeys(part).map((key) => [key, all[key]])) as Partial<ReplicationSettings>;
}

/** The settings as the sites API takes them. Only call on a valid form. */
export function replicationSettingsOf(form: ReplicationSettingsForm): ReplicationSettings {
  const value = form.getRawValue();
  const retention = Object.fromEntries(REPLICA_RETENTION_RULES.map((rule) => [rule, value.retention[rule] ?? 0])) as unknown as ReplicaRetention;
  const w = value.window;
  return {
    bandwidthMBps: value.bandwidthMBps,
    window: w.enabled && w.bandwidthMBps !== null ? { from: w.from, to: w.to, bandwidthMBps: w.bandwidthMBps } : null,
    retention,
    immutableDays: value.immutableDays ?? 0,
    maxConcurrentVms: value.maxConcurrentVms ?? 1,
  };
}

/** The control a server field path names (`settings.retention.daily`, `window.from`); null for others. */
export function controlForSettingsField(form: ReplicationSettingsForm, field: string): AbstractControl | null {
  const path = field.startsWith('settings.') ? field.slice('settings.'.length) : field;
  if (path === 'window') {
    return form.controls.window;
  }
  return form.get(path);
}

/** Puts each server field error beside its field as `{ server: message }`; answers those no field shows. */
export function applyServerSettingsErrors(form: ReplicationSettingsForm, errors: readonly ProblemFieldError[]): ProblemFieldError[] {
  return applyServerFieldErrors(errors, (field) => controlForSettingsField(form, field));
}
