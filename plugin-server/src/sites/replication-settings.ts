/**
 * A pairing's replication settings as a user sends them: every member optional (its default
 * applies), every value checked, each fault named by its field. The DR site applies the retention
 * and the immutability period to the replicas it keeps; the source applies the bandwidth limits
 * and the per-peer concurrency.
 */
import { ValidationError } from '../errors/index.js';
import type { ReplicationSettings } from './site-types.js';

export const DEFAULT_REPLICATION_SETTINGS: ReplicationSettings = {
  bandwidthMBps: null,
  window: null,
  retention: { keepLast: 7, daily: 7, weekly: 4, monthly: 6 },
  immutableDays: 7,
  maxConcurrentVms: 2,
};

const KEYS = ['bandwidthMBps', 'window', 'retention', 'immutableDays', 'maxConcurrentVms'] as const;
const WINDOW_KEYS = ['from', 'to', 'bandwidthMBps'] as const;
const RETENTION_KEYS = ['keepLast', 'daily', 'weekly', 'monthly'] as const;
const RETENTION_MAX: Readonly<Record<(typeof RETENTION_KEYS)[number], number>> = { keepLast: 10_000, daily: 3660, weekly: 520, monthly: 1200 };
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** 100 GB/s: more than any link; a larger number is a typo. */
const MAX_MBPS = 100_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, { field });
}

function only(obj: Record<string, unknown>, keys: readonly string[], field: string): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) bad(`${field}.${k}`, `unknown member (known: ${keys.join(', ')})`);
}

function mbps(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > MAX_MBPS) bad(field, `must be a number of MB/s above 0 and at most ${MAX_MBPS}`);
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(field, `must be an integer from ${min} to ${max}`);
  return v;
}

/**
 * The settings in `raw` over `base` (the defaults, or the pairing's current settings for a
 * change); `field` prefixes the field names in errors ("settings").
 */
export function parseReplicationSettings(raw: unknown, field = 'settings', base: ReplicationSettings = DEFAULT_REPLICATION_SETTINGS): ReplicationSettings {
  if (raw === undefined) return base;
  if (!isRecord(raw)) bad(field, 'must be a JSON object');
  only(raw, KEYS, field);
  const bandwidthMBps = raw['bandwidthMBps'] === undefined ? base.bandwidthMBps : raw['bandwidthMBps'] === null ? null : mbps(raw['bandwidthMBps'], `${field}.bandwidthMBps`);
  let window = base.window;
  if (raw['window'] !== undefined) {
    const w = raw['window'];
    if (w === null) window = null;
    else {
      if (!isRecord(w)) bad(`${field}.window`, 'must be null or { from, to, bandwidthMBps }');
      only(w, WINDOW_KEYS, `${field}.window`);
      const from = w['from'];
      const to = w['to'];
      if (typeof from !== 'string' || !HHMM.test(from)) bad(`${field}.window.from`, 'must be a time of day as HH:MM');
      if (typeof to !== 'string' || !HHMM.test(to)) bad(`${field}.window.to`, 'must be a time of day as HH:MM');
      if (from === to) bad(`${field}.window.to`, 'must differ from window.from (a window of no hours, or of all day, is not a window)');
      const lower = mbps(w['bandwidthMBps'], `${field}.window.bandwidthMBps`);
      window = { from, to, bandwidthMBps: lower };
    }
  }
  if (window !== null && bandwidthMBps !== null && window.bandwidthMBps > bandwidthMBps) {
    bad(`${field}.window.bandwidthMBps`, `must not be above the limit outside the window (${bandwidthMBps} MB/s): the window holds a lower limit`);
  }
  let retention = base.retention;
  if (raw['retention'] !== undefined) {
    const r = raw['retention'];
    if (!isRecord(r)) bad(`${field}.retention`, 'must be { keepLast, daily, weekly, monthly }');
    only(r, RETENTION_KEYS, `${field}.retention`);
    const next = { ...base.retention };
    for (const k of RETENTION_KEYS) if (r[k] !== undefined) next[k] = int(r[k], `${field}.retention.${k}`, 0, RETENTION_MAX[k]);
    if (RETENTION_KEYS.every((k) => next[k] === 0)) bad(`${field}.retention`, 'at least one rule must keep a replica (all are 0)');
    retention = next;
  }
  const immutableDays = raw['immutableDays'] === undefined ? base.immutableDays : int(raw['immutableDays'], `${field}.immutableDays`, 0, 3650);
  const maxConcurrentVms = raw['maxConcurrentVms'] === undefined ? base.maxConcurrentVms : int(raw['maxConcurrentVms'], `${field}.maxConcurrentVms`, 1, 16);
  return { bandwidthMBps, window, retention, immutableDays, maxConcurrentVms };
}
