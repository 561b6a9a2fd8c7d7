/**
 * Cloned user sessions, kept briefly so that a UI making several calls does not clone a session
 * for each. A session stays while it is in use and for `idleMs` after its last use, then is logged
 * out; at most `maxSessions` are kept (the least recently used idle one goes first). Concurrent
 * requests with the same new token share one clone. Entries are keyed by a digest of the token.
 *
 * A cached session must not outlive the user's own: the token it was cloned from is asked about
 * again (the cloner's `validate`, i.e. vCenter's clone-ticket endpoint) once `revalidateMs` has
 * passed since vCenter last accepted it, before the session is used again, and in the background
 * for sessions held open (event streams). A refused token ends the session at once. Every session
 * also has an absolute lifetime, `lifetimeMs` from its clone, which use does not extend. When a
 * session ends, its lease's `signal` aborts, so whatever holds it open (an event stream) ends
 * with it. To ask again in the background, an entry keeps the token in memory (never on disk, in
 * logs or in errors); it goes with the entry.
 *
 * Logins cost vCenter work, and anyone can send a token: a token vCenter refused is refused again
 * without asking for `refusalMemoryMs` (its digest is remembered, not the token), at most
 * `maxConcurrentLogins` clones are under way at once, and each is given up after `loginTimeoutMs`.
 *
 * Time comes from the injected clock; the timer only decides when to look.
 */
import { createHash } from 'node:crypto';
import { LifelineError, describeError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';
import { AuthenticationError, type SessionCloner, type UserSession, type VcenterTarget } from './ports.js';

export interface SessionCacheOptions<S extends UserSession> {
  readonly cloner: SessionCloner<S>;
  readonly idleMs: number;
  readonly log: Logger;
  /** Milliseconds since some epoch; only differences matter. */
  readonly clock?: () => number;
  readonly maxSessions?: number;
  /** How long one Logout may take before the session is forgotten anyway. */
  readonly logoutTimeoutMs?: number;
  /** How often idle sessions are looked for; 0 turns the timer off (tests call sweep()). */
  readonly sweepIntervalMs?: number;
  /** How long vCenter's acceptance of a token is trusted before it is asked again (default 60 s). */
  readonly revalidateMs?: number;
  /** How long a cloned session is used at most, however busy (default 8 hours). */
  readonly lifetimeMs?: number;
  /** How long a token vCenter refused is refused again without asking (default 30 s). */
  readonly refusalMemoryMs?: number;
  /** Logins (clones) under way at once at most; more are refused with 'queue-full' (default 16). */
  readonly maxConcurrentLogins?: number;
  /** How long one login may take before it is given up (default 30 s). */
  readonly loginTimeoutMs?: number;
}

/** vCenter is asked again whether a token is valid at least this often. */
export const DEFAULT_REVALIDATE_MS = 60_000;
/** No cloned session is used for longer than this. */
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3600_000;

/** A session handed to one request; release it when the request ends. */
export interface SessionLease<S> {
  readonly session: S;
  /** True when the session came from the cache rather than a clone made for this request. */
  readonly reused: boolean;
  release(): void;
  /** Releases the session and drops it, e.g. because vCenter no longer knows it. */
  discard(): void;
  /** Aborted once the session has ended (token refused, lifetime over, dropped, cache closed). */
  readonly signal: AbortSignal;
}

interface Entry<S> {
  readonly key: string;
  readonly vcenter: VcenterTarget;
  readonly vcenterGuid: string;
  /** The user's token, for asking vCenter again while the session is held open. */
  readonly token: string;
  readonly createdAt: number;
  /** When vCenter last accepted the token. */
  validatedAt: number;
  /** A validation under way, shared by the requests that wait for it. */
  validating: Promise<void> | null;
  readonly ended: AbortController;
  /** Settles once the clone is made; a failed clone removes the entry. */
  readonly ready: Promise<S>;
  session: S | null;
  users: number;
  lastUsed: number;
}

export class SessionCache<S extends UserSession> {
  private readonly entries = new Map<string, Entry<S>>();
  private readonly clock: () => number;
  private readonly maxSessions: number;
  private readonly logoutTimeoutMs: number;
  private readonly revalidateMs: number;
  private readonly lifetimeMs: number;
  private readonly timer: NodeJS.Timeout | null;
  private readonly logouts = new Set<Promise<void>>();
  /** Digests of refused tokens, with when they may be tried again. */
  private readonly refused = new Map<string, number>();
  private readonly refusalMemoryMs: number;
  private readonly maxConcurrentLogins: number;
  private readonly loginTimeoutMs: number;
  private loginsUnderWay = 0;
  private closed = false;

  constructor(private readonly opts: SessionCacheOptions<S>) {
    this.clock = opts.clock ?? (() => performance.now());
    this.maxSessions = opts.maxSessions ?? 1000;
    this.logoutTimeoutMs = opts.logoutTimeoutMs ?? 10_000;
    this.revalidateMs = Math.min(opts.revalidateMs ?? DEFAULT_REVALIDATE_MS, DEFAULT_REVALIDATE_MS);
    this.lifetimeMs = opts.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.refusalMemoryMs = opts.refusalMemoryMs ?? 30_000;
    this.maxConcurrentLogins = opts.maxConcurrentLogins ?? 16;
    this.loginTimeoutMs = opts.loginTimeoutMs ?? 30_000;
    const interval = opts.sweepIntervalMs ?? Math.min(30_000, this.revalidateMs / 2, Math.max(1000, opts.idleMs / 4));
    this.timer = interval > 0 ? setInterval(() => this.sweep(), interval) : null;
    // The cache must never keep the process alive on its own.
    this.timer?.unref();
  }

  /** How many sessions are held (made or being made). */
  get size(): number {
    return this.entries.size;
  }

  /** A session of the token's user on `vcenter`: the cached one, or a new clone. */
  async acquire(vcenter: VcenterTarget, token: string, signal: AbortSignal): Promise<SessionLease<S>> {
    if (this.closed) throw new LifelineError('shutting-down', 'Lifeline is shutting down.');
    const key = `${vcenter.guid}:${createHash('sha256').update(token).digest('base64url')}`;
    let entry = this.entries.get(key);
    if (entry && entry.session !== null && this.clock() - entry.createdAt >= this.lifetimeMs) {
      this.drop(entry, 'lifetime');
      entry = undefined;
    }
    const reused = entry !== undefined;
    if (!entry) {
      const until = this.refused.get(key);
      if (until !== undefined && this.clock() < until) throw new AuthenticationError('vCenter did not accept the session token.');
      if (this.loginsUnderWay >= this.maxConcurrentLogins) {
        throw new LifelineError('queue-full', 'Too many vCenter logins are under way; try again in a moment.');
      }
      entry = this.startClone(key, vcenter, token, signal);
    }
    entry.users++;
    let session: S;
    try {
      session = await entry.ready;
      if (reused && this.clock() - entry.validatedAt >= this.revalidateMs) await this.revalidate(entry, token, signal);
    } catch (err) {
      entry.users--;
      throw err;
    }
    if (this.closed) {
      entry.users--;
      throw new LifelineError('shutting-down', 'Lifeline is shutting down.');
    }
    entry.lastUsed = this.clock();
    const held = entry;
    let done = false;
    const end = (drop: boolean) => {
      if (done) return;
      done = true;
      held.users--;
      held.lastUsed = this.clock();
      if (drop && this.entries.get(held.key) === held) {
        // Shared with other requests still using it: they will fail on it, as they would anyway.
        this.drop(held, 'discarded');
      }
    };
    return { session, reused, release: () => end(false), discard: () => end(true), signal: held.ended.signal };
  }

  /**
   * Asks vCenter whether the token is still valid; one question at a time per entry. A refused
   * token drops the entry (its holders' signals abort) and rejects with the AuthenticationError;
   * any other failure (vCenter unreachable) rejects without trusting the token any longer.
   */
  private revalidate(entry: Entry<S>, token: string, signal: AbortSignal): Promise<void> {
    entry.validating ??= this.opts.cloner
      .validate(entry.vcenter, token, signal)
      .then(
        () => {
          entry.validatedAt = this.clock();
        },
        (err: unknown) => {
          if (err instanceof AuthenticationError) {
            this.opts.log.info('vCenter no longer accepts the session token; its session ends', { vcenter: entry.vcenterGuid, user: entry.session?.userName ?? null });
            this.drop(entry, 'token-refused');
            this.rememberRefusal(entry.key);
          }
          throw err;
        },
      )
      .finally(() => {
        entry.validating = null;
      });
    return entry.validating;
  }

  private rememberRefusal(key: string): void {
    if (this.refusalMemoryMs <= 0) return;
    const now = this.clock();
    if (this.refused.size >= 10_000) {
      for (const [k, until] of this.refused) if (until <= now) this.refused.delete(k);
      // Still full of live refusals: the oldest go first (a Map keeps insertion order).
      for (const k of this.refused.keys()) {
        if (this.refused.size < 10_000) break;
        this.refused.delete(k);
      }
    }
    this.refused.set(key, now + this.refusalMemoryMs);
  }

  /** Removes an entry, ends its holders' streams and logs its session out. */
  private drop(entry: Entry<S>, why: string): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (entry.ended.signal.aborted) return;
    entry.ended.abort(new AuthenticationError('The vCenter session has ended.'));
    this.logout(entry, why);
  }

  private startClone(key: string, vcenter: VcenterTarget, token: string, signal: AbortSignal): Entry<S> {
    // The clone outlives the request that started it only in the cache; if that request is
    // aborted, others waiting for the same clone fail too and simply retry.
    this.loginsUnderWay++;
    const ready = this.opts.cloner.clone(vcenter, token, AbortSignal.any([signal, AbortSignal.timeout(this.loginTimeoutMs)]));
    const now = this.clock();
    const entry: Entry<S> = {
      key,
      vcenter,
      vcenterGuid: vcenter.guid,
      token,
      createdAt: now,
      validatedAt: now,
      validating: null,
      ended: new AbortController(),
      ready,
      session: null,
      users: 0,
      lastUsed: now,
    };
    this.entries.set(key, entry);
    ready.then(
      (session) => {
        this.loginsUnderWay--;
        entry.session = session;
        this.opts.log.debug('vCenter session cloned', { vcenter: vcenter.guid, user: session.userName });
        if (this.closed || this.entries.get(key) !== entry) {
          this.entries.delete(key);
          this.logout(entry, 'closed');
        } else {
          this.evictOverflow();
        }
      },
      (err: unknown) => {
        this.loginsUnderWay--;
        if (this.entries.get(key) === entry) this.entries.delete(key);
        entry.ended.abort();
        if (err instanceof AuthenticationError) this.rememberRefusal(key);
      },
    );
    return entry;
  }

  /**
   * Logs out sessions idle for longer than idleMs and sessions past their lifetime, and asks
   * vCenter again about the tokens of sessions held open whose last check is due.
   */
  sweep(): void {
    const now = this.clock();
    for (const [k, until] of this.refused) if (until <= now) this.refused.delete(k);
    for (const entry of [...this.entries.values()]) {
      if (entry.session === null) continue;
      if (now - entry.createdAt >= this.lifetimeMs) {
        this.drop(entry, 'lifetime');
      } else if (entry.users === 0 && now - entry.lastUsed >= this.opts.idleMs) {
        this.drop(entry, 'idle');
      } else if (entry.users > 0 && entry.validating === null && now - entry.validatedAt >= this.revalidateMs) {
        this.revalidate(entry, entry.token, AbortSignal.timeout(this.logoutTimeoutMs)).catch((err: unknown) => {
          if (!(err instanceof AuthenticationError)) {
            this.opts.log.warn('vCenter could not be asked whether a session token is still valid', { vcenter: entry.vcenterGuid, error: describeError(err) });
          }
        });
      }
    }
  }

  private evictOverflow(): void {
    if (this.entries.size <= this.maxSessions) return;
    const idle = [...this.entries.values()]
      .filter((e) => e.session !== null && e.users === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (this.entries.size <= this.maxSessions) break;
      this.drop(entry, 'capacity');
    }
  }

  private logout(entry: Entry<S>, why: string): void {
    const session = entry.session;
    if (session === null) return;
    const p = session
      .logout(AbortSignal.timeout(this.logoutTimeoutMs))
      .then(
        () => this.opts.log.debug('vCenter session logged out', { vcenter: entry.vcenterGuid, user: session.userName, why }),
        (err: unknown) =>
          // A session that already ended on the vCenter cannot be logged out; nothing is lost.
          this.opts.log.info('vCenter session logout failed', {
            vcenter: entry.vcenterGuid,
            user: session.userName,
            why,
            error: describeError(err),
          }),
      )
      .finally(() => this.logouts.delete(p));
    this.logouts.add(p);
  }

  /**
   * Logs out every session and refuses new ones. Sessions still in use are logged out too: close
   * is called once requests in flight have finished or been cut off.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const pending = [...this.entries.values()];
    this.entries.clear();
    for (const entry of pending) {
      entry.ended.abort();
      if (entry.session !== null) this.logout(entry, 'closed');
      // A clone still in flight is logged out by startClone's handler once it lands.
    }
    await Promise.allSettled(pending.map((e) => e.ready));
    while (this.logouts.size > 0) {
      await Promise.allSettled([...this.logouts]);
    }
  }
}
