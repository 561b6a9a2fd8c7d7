import { isNumber, isRecord, isString, isStringOrNull, readPage, type PageOf } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * Protection policies as `/api/v1/policies` has them, and the bounds the server enforces on each
 * field. The form checks the same bounds before sending, so most mistakes never make a round trip;
 * the server stays the judge and its 400 names the fields it refused.
 */

export const RPO_MIN_SECONDS = 60;
export const RPO_MAX_SECONDS = 86_400;
export const POLICY_NAME_MAX = 80;
export const IMMUTABILITY_MIN_DAYS = 1;
export const IMMUTABILITY_MAX_DAYS = 3650;
export const IMMUTABILITY_DEFAULT_DAYS = 7;

export type Retention = Schemas['Retention'];
export type RetentionRule = keyof Retention;
export const RETENTION_RULES = ['keepLast', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const satisfies readonly RetentionRule[];

/** The most points each rule may keep, as the server allows. */
export const RETENTION_MAX: Retention = { keepLast: 10_000, hourly: 8784, daily: 3660, weekly: 520, monthly: 1200, yearly: 100 };

export type ConsistencyMode = Schemas['Policy']['consistency'];
export const CONSISTENCY_MODES = ['application', 'crash'] as const satisfies readonly ConsistencyMode[];
export type QuiesceFailureAction = Schemas['Policy']['onQuiesceFailure'];
export const QUIESCE_FAILURE_ACTIONS = ['fail', 'crash-consistent'] as const satisfies readonly QuiesceFailureAction[];

/**
 * What a policy says; fields this UI does not edit yet (excluded disks, windows) are carried
 * through unchanged, unread. `hookSet` names the server-configured pre/post snapshot scripts the
 * policy runs; null for none. `copyToObjectStorage`: copies of the points on the server's object
 * storage; null for none.
 */
export type PolicySpec = Pick<Schemas['Policy'], 'name' | 'rpoSeconds' | 'retention' | 'immutabilityDays' | 'consistency' | 'onQuiesceFailure'> &
  Partial<Pick<Schemas['Policy'], 'replicationSite' | 'hookSet' | 'copyToObjectStorage'>> & {
    readonly excludedDisks?: unknown;
    readonly windows?: unknown;
  };

export type Policy = PolicySpec & Pick<Schemas['Policy'], 'id' | 'vmCount' | 'createdAt' | 'updatedAt' | 'feasibility'>;
export type PolicyFeasibility = Schemas['PolicyFeasibility'];

/** A server from before feasibility sends none: nothing judged. */
const NOT_JUDGED: PolicyFeasibility = { feasible: null, bestRpoSeconds: null, vmsInfeasible: 0, vmsUnmeasured: 0, reason: null };

function readFeasibility(value: unknown): PolicyFeasibility | null {
  if (value === undefined) {
    return NOT_JUDGED;
  }
  if (!isRecord(value)) {
    return null;
  }
  const { feasible, bestRpoSeconds, vmsInfeasible, vmsUnmeasured, reason } = value;
  if (
    !(feasible === null || typeof feasible === 'boolean') ||
    !(bestRpoSeconds === null || isNumber(bestRpoSeconds)) ||
    !isNumber(vmsInfeasible) ||
    !isNumber(vmsUnmeasured) ||
    !(reason === null || reason === 'backup-too-slow' || reason === 'slots')
  ) {
    return null;
  }
  return { feasible, bestRpoSeconds, vmsInfeasible, vmsUnmeasured, reason };
}

function readRetention(value: unknown): Retention | null {
  if (!isRecord(value)) {
    return null;
  }
  const retention: Record<string, number> = {};
  for (const rule of RETENTION_RULES) {
    const count = value[rule] ?? 0;
    if (!isNumber(count)) {
      return null;
    }
    retention[rule] = count;
  }
  return retention as Retention;
}

export function readPolicy(body: unknown): Policy | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, name, rpoSeconds, immutabilityDays, consistency, onQuiesceFailure, vmCount, createdAt, updatedAt } = body;
  const retention = readRetention(body['retention']);
  if (
    !isString(id) ||
    !isString(name) ||
    !isNumber(rpoSeconds) ||
    !isNumber(immutabilityDays) ||
    retention === null ||
    !(CONSISTENCY_MODES as readonly unknown[]).includes(consistency) ||
    !(QUIESCE_FAILURE_ACTIONS as readonly unknown[]).includes(onQuiesceFailure) ||
    !isNumber(vmCount) ||
    !isString(createdAt) ||
    !isString(updatedAt)
  ) {
    return null;
  }
  const replicationSite = body['replicationSite'];
  // Servers from before hook sets send none.
  const hookSet = body['hookSet'] ?? null;
  const feasibility = readFeasibility(body['feasibility']);
  // Servers from before copies to object storage, and policies without them, send none.
  const copy = body['copyToObjectStorage'];
  const points = isRecord(copy) ? copy['points'] : undefined;
  const copyToObjectStorage: Schemas['Policy']['copyToObjectStorage'] =
    isRecord(copy) && (points === 'all' || points === 'weekly-monthly') && isNumber(copy['immutableDays']) ? { points, immutableDays: copy['immutableDays'] } : null;
  if (!isStringOrNull(hookSet) || feasibility === null) {
    return null;
  }
  return {
    id,
    name,
    rpoSeconds,
    retention,
    immutabilityDays,
    consistency: consistency as ConsistencyMode,
    onQuiesceFailure: onQuiesceFailure as QuiesceFailureAction,
    excludedDisks: body['excludedDisks'] ?? [],
    windows: body['windows'] ?? [],
    replicationSite: isString(replicationSite) ? replicationSite : null,
    hookSet,
    copyToObjectStorage,
    vmCount,
    createdAt,
    updatedAt,
    feasibility,
  };
}

export function readPolicyPage(body: unknown): PageOf<Policy> | null {
  return readPage(body, readPolicy);
}

/**
 * `GET /api/v1/hook-sets`: the names of the hook sets the server's configuration declares, which a
 * policy may choose. Only names: the commands stay in the server's configuration.
 */
export const HOOK_SETS_PATH = '/api/v1/hook-sets';

export function readHookSetNames(body: unknown): string[] | null {
  const page = readPage(body, (item) => (isRecord(item) && isString(item['name']) ? item['name'] : null));
  return page === null ? null : [...page.items];
}
