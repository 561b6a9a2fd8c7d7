import { isNumber, isRecord, isString, isStringOrNull } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** A vCenter the server serves, as its configuration names it; the service user's password is never sent. */
export type VcenterSettings = Schemas['ServerSettings']['vcenters'][number];

/**
 * How many jobs run at once: all kinds together, and per key class (e.g. `{ datastore: 2 }`);
 * classes the server does not list are unlimited.
 */
export type JobLimits = Required<Schemas['ServerSettings']['jobLimits']>;

/**
 * `GET /api/v1/settings` (Lifeline's Admin privilege on the inventory root): the server's settings
 * as an administrator reads them. Nothing here is secret; `warnings` are things to act on, in
 * plain words.
 */
export type ServerSettings = Omit<Schemas['ServerSettings'], 'jobLimits'> & { readonly jobLimits: JobLimits };

/**
 * When the daily repository maintenance runs (lifeline.json `maintenance`): `enabled` false means
 * only when started by hand; `at` is HH:MM on the server's clock; null without a backup store (or
 * from a server that does not say).
 */
export type MaintenanceSettings = NonNullable<Schemas['ServerSettings']['maintenance']>;

function readMaintenance(body: unknown): MaintenanceSettings | null | undefined {
  if (body === null || body === undefined) {
    return null;
  }
  if (!isRecord(body)) {
    return undefined;
  }
  const { enabled, at, verifyPercent, nextRunAt } = body;
  return typeof enabled === 'boolean' && isString(at) && isNumber(verifyPercent) && isStringOrNull(nextRunAt) ? { enabled, at, verifyPercent, nextRunAt } : undefined;
}

export const SETTINGS_PATH = '/api/v1/settings';

function readVcenter(body: unknown): VcenterSettings | null {
  if (!isRecord(body)) {
    return null;
  }
  const { guid, url, user, thumbprint } = body;
  return isString(guid) && isString(url) && isString(user) && isString(thumbprint) ? { guid, url, user, thumbprint } : null;
}

function readJobLimits(body: unknown): JobLimits | null {
  if (!isRecord(body) || !isNumber(body['global']) || !isNumber(body['queued'])) {
    return null;
  }
  const perKeyClass: Record<string, number> = {};
  const raw = body['perKeyClass'] ?? {};
  if (!isRecord(raw)) {
    return null;
  }
  for (const [keyClass, limit] of Object.entries(raw)) {
    if (!isNumber(limit)) {
      return null;
    }
    perKeyClass[keyClass] = limit;
  }
  return { global: body['global'], perKeyClass, queued: body['queued'] };
}

function readList<T>(value: unknown, read: (item: unknown) => T | null): T[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  const items: T[] = [];
  for (const raw of value as unknown[]) {
    const item = read(raw);
    if (item === null) {
      return null;
    }
    items.push(item);
  }
  return items;
}

export function readServerSettings(body: unknown): ServerSettings | null {
  if (!isRecord(body)) {
    return null;
  }
  const { version, dataDir, storeDir, storeEncrypted, passphraseInDataDir, sessionIdleSeconds, serverUrl, certificateThumbprint } = body;
  const vcenters = readList(body['vcenters'], readVcenter);
  const jobLimits = readJobLimits(body['jobLimits']);
  const warnings = readList(body['warnings'], (w) => (isString(w) ? w : null));
  const maintenance = readMaintenance(body['maintenance']);
  if (
    maintenance === undefined ||
    !isString(version) ||
    !isString(dataDir) ||
    !isStringOrNull(storeDir) ||
    !(storeEncrypted === null || typeof storeEncrypted === 'boolean') ||
    typeof passphraseInDataDir !== 'boolean' ||
    !isNumber(sessionIdleSeconds) ||
    !isString(serverUrl) ||
    !isString(certificateThumbprint) ||
    vcenters === null ||
    jobLimits === null ||
    warnings === null
  ) {
    return null;
  }
  return {
    version,
    dataDir,
    storeDir,
    storeEncrypted,
    passphraseInDataDir,
    vcenters,
    sessionIdleSeconds,
    jobLimits,
    serverUrl,
    certificateThumbprint,
    maintenance,
    warnings,
  };
}
