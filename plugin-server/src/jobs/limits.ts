/**
 * Concurrency limits shared by the job runner (which enforces them) and the protection scheduler
 * (which plans within them so the queue stays short). A job counts against the global limit and
 * against each of its keys, e.g. 'datastore:ds-12' for every datastore a VM's disks live on; a
 * key's limit is looked up by its class, the text before the first ':'.
 */
import { ValidationError } from '../errors/index.js';

export interface ConcurrencyLimits {
  /** Jobs running at once, all kinds together. */
  global: number;
  /** Jobs running at once per key of a class, e.g. `{ datastore: 2 }`. Keys of other classes are unlimited. */
  perKeyClass?: Readonly<Record<string, number>>;
}

export function keyClass(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

export function keyLimit(limits: ConcurrencyLimits, key: string): number | undefined {
  return limits.perKeyClass?.[keyClass(key)];
}

/** Whether one more job with these keys fits, given how many jobs hold each key now. */
export function keysFit(limits: ConcurrencyLimits, keys: readonly string[], inUse: ReadonlyMap<string, number>): boolean {
  return keys.every((k) => {
    const limit = keyLimit(limits, k);
    return limit === undefined || (inUse.get(k) ?? 0) < limit;
  });
}

export function validateLimits(limits: ConcurrencyLimits): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= 1000;
  if (!ok(limits.global)) throw new ValidationError('the global job limit must be an integer from 1 to 1000', { field: 'global' });
  for (const [cls, n] of Object.entries(limits.perKeyClass ?? {})) {
    if (!ok(n)) throw new ValidationError(`the ${cls} job limit must be an integer from 1 to 1000`, { field: `perKeyClass.${cls}` });
  }
}
