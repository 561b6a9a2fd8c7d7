/**
 * Protection policies: what an administrator promises a VM (how much data it may lose, how long
 * its restore points are kept and locked, how consistent they are, when backups may run).
 *
 * Units and bounds, chosen to match the product brief and what administrators know from Veeam and
 * vSphere Replication:
 * - `rpoSeconds`: whole seconds, 60 (1 minute) to 86 400 (24 hours). Seconds, not minutes, so the
 *   API has one time unit throughout and a sub-minute tolerance never needs a new field.
 * - `retention`: counts of restore points kept per rule (keep-last plus hourly … yearly, the
 *   "synthetic collapse"); non-negative integers, at least one above 0, each with a ceiling that
 *   keeps a policy from asking for more points than a catalog can sensibly hold.
 * - `immutabilityDays`: 1 to 3650 (ten years), default 7. Never 0: every Lifeline restore point is
 *   immutable for some time, which is what makes it ransomware-proof.
 * - `hookSet`: the name of a hook set (pre/post snapshot scripts) declared in the server's
 *   configuration, or null for none. Only its form is checked here; whether the server declares it
 *   is the API's question (policies may outlive a set, and a backup then fails saying so).
 * - `windows`: days of week and HH:MM start/end in UTC; an end before the start runs past midnight
 *   into the next day; end '24:00' means midnight at the end of the day. No windows = any time.
 *   A window limits when *scheduled* backups start; a running backup is not stopped at its end.
 *
 * validatePolicy() reports every problem at once, each naming its field and what is allowed, so the
 * API can answer with one 400 listing them all.
 */
import { ValidationError } from '../errors/index.js';
import { HOOK_SET_NAME } from '../config/index.js';

export const RPO_MIN_SECONDS = 60;
export const RPO_MAX_SECONDS = 86_400;
export const NAME_MAX = 80;
export const IMMUTABILITY_MIN_DAYS = 1;
export const IMMUTABILITY_MAX_DAYS = 3650;
export const IMMUTABILITY_DEFAULT_DAYS = 7;
export const MAX_WINDOWS = 14;
export const MAX_EXCLUDED_DISKS = 64;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BackupWindow {
  /** Days on which the window opens (in UTC). */
  days: Weekday[];
  /** 'HH:MM' UTC, 00:00–23:59. */
  start: string;
  /** 'HH:MM' UTC, 00:00–24:00; before `start` means the window ends the next day. */
  end: string;
}

export interface Retention {
  keepLast: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

/** The most points each rule may keep: a year of hourlies, ten years of dailies, … */
export const RETENTION_MAX: Readonly<Retention> = { keepLast: 10_000, hourly: 8784, daily: 3660, weekly: 520, monthly: 1200, yearly: 100 };
const RETENTION_KEYS = Object.keys(RETENTION_MAX) as (keyof Retention)[];

export type ConsistencyMode = 'application' | 'crash';
/** What a backup does when VMware Tools cannot quiesce the guest in application mode. */
export type QuiesceFailureAction = 'fail' | 'crash-consistent';

/** A disk left out of backups, by its device key (e.g. 2001) or its label (e.g. 'Hard disk 2'). */
export type ExcludedDisk = { deviceKey: number } | { label: string };

export interface PolicySpec {
  name: string;
  rpoSeconds: number;
  retention: Retention;
  immutabilityDays: number;
  consistency: ConsistencyMode;
  onQuiesceFailure: QuiesceFailureAction;
  excludedDisks: ExcludedDisk[];
  windows: BackupWindow[];
  /** The paired site restore points are replicated to, or null for none. */
  replicationSite: string | null;
  /** The server-configured hook set run around the snapshot, or null for none. */
  hookSet: string | null;
  /**
   * Copy the VM's restore points to the server's object storage (lifeline.json `copyS3`) after
   * each backup, locked there for `immutableDays` from their creation; absent (or null) for no copy.
   */
  copyToObjectStorage?: ObjectStorageCopy | null;
}

/** Which points go to object storage: every one, or only those the policy keeps as weekly or monthly ones. */
export type ObjectStorageCopyPoints = 'all' | 'weekly-monthly';

export interface ObjectStorageCopy {
  points: ObjectStorageCopyPoints;
  /** Days from a point's creation its copy stays locked (at least the point's own retention). */
  immutableDays: number;
}

export interface ProtectionPolicy extends PolicySpec {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface PolicyFieldError {
  /** Path of the offending field, e.g. 'retention.daily' or 'windows[1].start'. */
  field: string;
  /** What is wrong, naming the field and what is allowed. */
  message: string;
}

export type PolicyValidation = { ok: true; policy: PolicySpec } | { ok: false; errors: PolicyFieldError[] };

/** A policy that cannot be saved; `details.errors` lists every field at fault. */
export class PolicyValidationError extends ValidationError {
  constructor(readonly errors: readonly PolicyFieldError[]) {
    super(`invalid protection policy: ${errors.map((e) => e.message).join('; ')}`, { errors });
  }
}

const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const FIELDS = ['name', 'rpoSeconds', 'retention', 'immutabilityDays', 'consistency', 'onQuiesceFailure', 'excludedDisks', 'windows', 'replicationSite', 'hookSet', 'copyToObjectStorage'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIntIn = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Checks a policy as received (e.g. a request body) and returns it complete, with defaults for
 * immutabilityDays (7), consistency ('application'), onQuiesceFailure ('fail': an administrator who
 * asked for application consistency is told, not silently given less), excludedDisks, windows
 * (none), replicationSite (null) and hookSet (null); copyToObjectStorage is left out when null. Unknown fields are errors, so a typo is never ignored.
 */
export function validatePolicy(input: unknown): PolicyValidation {
  const errors: PolicyFieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  if (!isRecord(input)) return { ok: false, errors: [{ field: '', message: 'a policy must be a JSON object' }] };

  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key)) bad(key, `${key} is not a policy field (allowed: ${FIELDS.join(', ')})`);
  }

  const rawName = input.name;
  const name = typeof rawName === 'string' ? rawName.trim() : '';
  if (typeof rawName !== 'string' || name.length < 1 || name.length > NAME_MAX || CONTROL.test(name)) {
    bad('name', `name must be 1 to ${NAME_MAX} characters, without control characters`);
  }

  if (!isIntIn(input.rpoSeconds, RPO_MIN_SECONDS, RPO_MAX_SECONDS)) {
    bad('rpoSeconds', `rpoSeconds must be a whole number of seconds from ${RPO_MIN_SECONDS} (1 minute) to ${RPO_MAX_SECONDS} (24 hours)`);
  }

  const retention = validateRetention(input.retention, bad);

  const immutabilityDays = input.immutabilityDays ?? IMMUTABILITY_DEFAULT_DAYS;
  if (!isIntIn(immutabilityDays, IMMUTABILITY_MIN_DAYS, IMMUTABILITY_MAX_DAYS)) {
    bad('immutabilityDays', `immutabilityDays must be a whole number of days from ${IMMUTABILITY_MIN_DAYS} to ${IMMUTABILITY_MAX_DAYS}`);
  }

  const consistency = input.consistency ?? 'application';
  if (consistency !== 'application' && consistency !== 'crash') bad('consistency', "consistency must be 'application' or 'crash'");

  const onQuiesceFailure = input.onQuiesceFailure ?? 'fail';
  if (onQuiesceFailure !== 'fail' && onQuiesceFailure !== 'crash-consistent') {
    bad('onQuiesceFailure', "onQuiesceFailure must be 'fail' or 'crash-consistent'");
  }

  const excludedDisks = validateExcludedDisks(input.excludedDisks ?? [], bad);
  const windows = validateWindows(input.windows ?? [], bad);

  const replicationSite = input.replicationSite ?? null;
  if (replicationSite !== null && (typeof replicationSite !== 'string' || !SITE_ID.test(replicationSite))) {
    bad('replicationSite', 'replicationSite must be null or a site id of 1 to 64 letters, digits, dots, colons, dashes or underscores');
  }

  const hookSet = input.hookSet ?? null;
  if (hookSet !== null && (typeof hookSet !== 'string' || !HOOK_SET_NAME.test(hookSet))) {
    bad('hookSet', 'hookSet must be null or the name of a hook set in the server configuration (1 to 40 lower-case letters, digits, dashes or underscores)');
  }

  const copyToObjectStorage = validateObjectStorageCopy(input.copyToObjectStorage ?? null, bad);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      name,
      rpoSeconds: input.rpoSeconds as number,
      retention: retention as Retention,
      immutabilityDays: immutabilityDays as number,
      consistency: consistency as ConsistencyMode,
      onQuiesceFailure: onQuiesceFailure as QuiesceFailureAction,
      excludedDisks,
      windows,
      replicationSite: replicationSite as string | null,
      hookSet: hookSet as string | null,
      ...(copyToObjectStorage ? { copyToObjectStorage } : {}),
    },
  };
}

/** validatePolicy() for callers that want the policy or an exception. */
export function parsePolicy(input: unknown): PolicySpec {
  const v = validatePolicy(input);
  if (!v.ok) throw new PolicyValidationError(v.errors);
  return v.policy;
}

type Bad = (field: string, message: string) => void;

function validateObjectStorageCopy(raw: unknown, bad: Bad): ObjectStorageCopy | null {
  if (raw === null) return null;
  const what = `copyToObjectStorage must be null or { points: 'all' | 'weekly-monthly', immutableDays: ${IMMUTABILITY_MIN_DAYS} to ${IMMUTABILITY_MAX_DAYS} }`;
  if (!isRecord(raw)) {
    bad('copyToObjectStorage', what);
    return null;
  }
  for (const key of Object.keys(raw)) if (key !== 'points' && key !== 'immutableDays') bad(`copyToObjectStorage.${key}`, `copyToObjectStorage.${key} is not a field of copyToObjectStorage (allowed: points, immutableDays)`);
  const points = raw.points ?? 'all';
  if (points !== 'all' && points !== 'weekly-monthly') bad('copyToObjectStorage.points', "copyToObjectStorage.points must be 'all' or 'weekly-monthly'");
  if (!isIntIn(raw.immutableDays, IMMUTABILITY_MIN_DAYS, IMMUTABILITY_MAX_DAYS)) {
    bad('copyToObjectStorage.immutableDays', `copyToObjectStorage.immutableDays must be a whole number of days from ${IMMUTABILITY_MIN_DAYS} to ${IMMUTABILITY_MAX_DAYS}`);
  }
  return { points: points as ObjectStorageCopyPoints, immutableDays: raw.immutableDays as number };
}

function validateRetention(raw: unknown, bad: Bad): Retention | null {
  if (!isRecord(raw)) {
    bad('retention', `retention must be an object with ${RETENTION_KEYS.join(', ')}`);
    return null;
  }
  const out = { keepLast: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(RETENTION_KEYS as string[]).includes(key)) {
      bad(`retention.${key}`, `retention.${key} is not a retention rule (allowed: ${RETENTION_KEYS.join(', ')})`);
      ok = false;
    }
  }
  for (const key of RETENTION_KEYS) {
    const v = raw[key] ?? 0;
    if (!isIntIn(v, 0, RETENTION_MAX[key])) {
      bad(`retention.${key}`, `retention.${key} must be a whole number from 0 to ${RETENTION_MAX[key]}`);
      ok = false;
    } else {
      out[key] = v;
    }
  }
  if (ok && RETENTION_KEYS.every((k) => out[k] === 0)) {
    bad('retention', `retention must keep at least one restore point: one of ${RETENTION_KEYS.join(', ')} must be above 0`);
    return null;
  }
  return ok ? out : null;
}

function validateExcludedDisks(raw: unknown, bad: Bad): ExcludedDisk[] {
  if (!Array.isArray(raw) || raw.length > MAX_EXCLUDED_DISKS) {
    bad('excludedDisks', `excludedDisks must be a list of at most ${MAX_EXCLUDED_DISKS} disks`);
    return [];
  }
  const out: ExcludedDisk[] = [];
  const seen = new Set<string>();
  raw.forEach((d: unknown, i) => {
    const field = `excludedDisks[${i}]`;
    let disk: ExcludedDisk | null = null;
    if (isRecord(d) && Object.keys(d).length === 1 && 'deviceKey' in d) {
      if (isIntIn(d.deviceKey, 0, 2_147_483_647)) disk = { deviceKey: d.deviceKey };
    } else if (isRecord(d) && Object.keys(d).length === 1 && 'label' in d) {
      if (typeof d.label === 'string' && d.label.trim().length >= 1 && d.label.length <= NAME_MAX && !CONTROL.test(d.label)) disk = { label: d.label.trim() };
    }
    if (!disk) {
      bad(field, `${field} must be { deviceKey: a whole number from 0 to 2147483647 } or { label: 1 to ${NAME_MAX} characters }`);
      return;
    }
    const id = 'deviceKey' in disk ? `k:${disk.deviceKey}` : `l:${disk.label.toLowerCase()}`;
    if (seen.has(id)) bad(field, `${field} names the same disk twice`);
    seen.add(id);
    out.push(disk);
  });
  return out;
}

function validateWindows(raw: unknown, bad: Bad): BackupWindow[] {
  if (!Array.isArray(raw) || raw.length > MAX_WINDOWS) {
    bad('windows', `windows must be a list of at most ${MAX_WINDOWS} backup windows (an empty list means any time)`);
    return [];
  }
  const out: BackupWindow[] = [];
  raw.forEach((w: unknown, i) => {
    const field = `windows[${i}]`;
    if (!isRecord(w)) {
      bad(field, `${field} must be an object with days, start and end`);
      return;
    }
    for (const key of Object.keys(w)) {
      if (key !== 'days' && key !== 'start' && key !== 'end') bad(`${field}.${key}`, `${field}.${key} is not a window field (allowed: days, start, end)`);
    }
    const days = w.days;
    const daysOk = Array.isArray(days) && days.length >= 1 && days.every((d) => (WEEKDAYS as readonly unknown[]).includes(d)) && new Set(days).size === days.length;
    if (!daysOk) bad(`${field}.days`, `${field}.days must list 1 to 7 different days from ${WEEKDAYS.join(', ')}`);
    const startOk = typeof w.start === 'string' && TIME.test(w.start);
    if (!startOk) bad(`${field}.start`, `${field}.start must be a UTC time HH:MM from 00:00 to 23:59`);
    const endOk = typeof w.end === 'string' && (TIME.test(w.end) || w.end === '24:00');
    if (!endOk) bad(`${field}.end`, `${field}.end must be a UTC time HH:MM from 00:00 to 24:00`);
    if (startOk && endOk && minutesOf(w.start as string) === minutesOf(w.end as string)) {
      bad(`${field}.end`, `${field}.end must differ from its start (for a whole day use 00:00 to 24:00)`);
    }
    if (daysOk && startOk && endOk) out.push({ days: [...(days as Weekday[])], start: w.start as string, end: w.end as string });
  });
  return out;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Whether `atMs` falls inside one of the windows; no windows means always. */
export function isWithinWindows(windows: readonly BackupWindow[], atMs: number): boolean {
  if (windows.length === 0) return true;
  const d = new Date(atMs);
  const day = d.getUTCDay();
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  const yesterday = WEEKDAYS[(day + 6) % 7] as Weekday;
  const today = WEEKDAYS[day] as Weekday;
  return windows.some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (start < end) return w.days.includes(today) && minute >= start && minute < end;
    // Wraps midnight: the evening part belongs to the day it opens, the morning part to the day before.
    return (w.days.includes(today) && minute >= start) || (w.days.includes(yesterday) && minute < end);
  });
}
