/**
 * When a failed attempt is worth repeating, and how long to wait first. Only transient faults are
 * retried (a vCenter briefly unreachable, a datastore busy): repeating a permanent one (bad
 * credentials, a deleted VM) only delays the error the administrator has to act on.
 */
import { isLifelineError } from '../errors/index.js';
import type { Random } from '../domain/index.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. 1 means never retry. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10_000, maxDelayMs: 10 * 60_000 };

/**
 * An error is transient when it says so (`details.transient === true` on a LifelineError), or when
 * the caller's predicate says so; `details.transient === false` overrides the predicate, for errors
 * that know better than any general rule.
 */
export function isTransientError(err: unknown, predicate?: (err: unknown) => boolean): boolean {
  if (isLifelineError(err)) {
    if (err.details.transient === true) return true;
    if (err.details.transient === false) return false;
  }
  return predicate ? predicate(err) : false;
}

/**
 * Delay before attempt `nextAttempt` (2 = the first retry): exponential, capped, with "equal
 * jitter" — half fixed, half random — so that many jobs failing together (a vCenter restart) do
 * not come back together, and no retry comes back sooner than half its nominal delay.
 */
export function backoffDelay(nextAttempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: Random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, nextAttempt - 2));
  return Math.round(exp / 2 + random() * (exp / 2));
}
