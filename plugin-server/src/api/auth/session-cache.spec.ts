import { silentLogger } from '../../log/index.js';
import { AuthenticationError, type MoRef, type SessionCloner, type UserSession, type VcenterTarget } from './ports.js';
import { SessionCache } from './session-cache.js';

/** A session that only records whether it was logged out. */
class RecordingSession implements UserSession {
  readonly rootFolder: MoRef = { type: 'Folder', value: 'group-d1' };
  loggedOut = 0;
  constructor(
    readonly userName: string,
    readonly serial: number,
  ) {}
  hasPrivileges(_e: MoRef, privileges: readonly string[]): Promise<ReadonlyMap<string, boolean>> {
    return Promise.resolve(new Map(privileges.map((p) => [p, true])));
  }
  logout(): Promise<void> {
    this.loggedOut++;
    return Promise.resolve();
  }
}

class CountingCloner implements SessionCloner<RecordingSession> {
  clones = 0;
  made: RecordingSession[] = [];
  refuse = new Set<string>();
  gate: Promise<void> = Promise.resolve();
  async clone(_vc: VcenterTarget, token: string): Promise<RecordingSession> {
    this.clones++;
    await this.gate;
    if (this.refuse.has(token)) throw new AuthenticationError('refused');
    const s = new RecordingSession(`user-of-${token}`, this.clones);
    this.made.push(s);
    return s;
  }
  validations = 0;
  async validate(_vc: VcenterTarget, token: string): Promise<void> {
    this.validations++;
    await this.gate;
    if (this.refuse.has(token)) throw new AuthenticationError('refused');
  }
}

const VC: VcenterTarget = { guid: '5a3c9f6e-1b2d-4e8f-9a0b-1c2d3e4f5a6b', url: 'https://vc', thumbprint: 'AA' };
const signal = new AbortController().signal;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SessionCache', () => {
  let now: number;
  let cloner: CountingCloner;
  let cache: SessionCache<RecordingSession>;

  beforeEach(() => {
    now = 0;
    cloner = new CountingCloner();
    cache = new SessionCache({ cloner, idleMs: 600_000, log: silentLogger, clock: () => now, sweepIntervalMs: 0, maxSessions: 2 });
  });
  afterEach(async () => {
    await cache.close();
  });

  it('reuses a session for the same token and clones once for concurrent first calls', async () => {
    let open!: () => void;
    cloner.gate = new Promise((r) => (open = r));
    const a = cache.acquire(VC, 'tok', signal);
    const b = cache.acquire(VC, 'tok', signal);
    open();
    const [la, lb] = await Promise.all([a, b]);
    expect(cloner.clones).toBe(1);
    expect(la.session).toBe(lb.session);
    la.release();
    lb.release();
    const again = await cache.acquire(VC, 'tok', signal);
    expect(again.reused).toBeTrue();
    expect(cloner.clones).toBe(1);
    again.release();
  });

  it('keeps separate sessions per token and per vCenter', async () => {
    const other: VcenterTarget = { ...VC, guid: '0f0e0d0c-0b0a-4908-8706-050403020100' };
    const l1 = await cache.acquire(VC, 'a', signal);
    const l2 = await cache.acquire(VC, 'b', signal);
    const l3 = await cache.acquire(other, 'a', signal);
    expect(new Set([l1.session, l2.session, l3.session]).size).toBe(3);
    [l1, l2, l3].forEach((l) => l.release());
  });

  it('logs out a session idle for the idle time, and not one in use', async () => {
    const busy = await cache.acquire(VC, 'busy', signal);
    const idle = await cache.acquire(VC, 'idle', signal);
    idle.release();
    now = 599_999;
    cache.sweep();
    await settle();
    expect(idle.session.loggedOut).toBe(0);
    now = 600_000;
    cache.sweep();
    await settle();
    expect(idle.session.loggedOut).toBe(1);
    expect(busy.session.loggedOut).toBe(0);
    expect(cache.size).toBe(1);
    // The next call with that token clones a fresh session.
    const fresh = await cache.acquire(VC, 'idle', signal);
    expect(fresh.reused).toBeFalse();
    expect(fresh.session).not.toBe(idle.session);
    fresh.release();
    busy.release();
  });

  it('counts idle time from the last use', async () => {
    const first = await cache.acquire(VC, 'tok', signal);
    now = 500_000;
    first.release();
    now = 1_000_000;
    cache.sweep();
    await settle();
    expect(first.session.loggedOut).toBe(0);
    now = 1_100_000;
    cache.sweep();
    await settle();
    expect(first.session.loggedOut).toBe(1);
  });

  it('asks vCenter again about a token after the revalidation interval, and ends the session it refuses', async () => {
    const first = await cache.acquire(VC, 'tok', signal);
    first.release();
    now = 59_999;
    (await cache.acquire(VC, 'tok', signal)).release();
    expect(cloner.validations).toBe(0);
    now = 60_000;
    const second = await cache.acquire(VC, 'tok', signal);
    second.release();
    expect(cloner.validations).toBe(1);
    expect(second.session).toBe(first.session);
    // The user logs out of vCenter: the next use past the interval is refused and the session goes.
    cloner.refuse.add('tok');
    now = 120_000;
    await expectAsync(cache.acquire(VC, 'tok', signal)).toBeRejectedWith(jasmine.any(AuthenticationError));
    await settle();
    expect(first.session.loggedOut).toBe(1);
    expect(first.signal.aborted).toBeTrue();
    expect(cache.size).toBe(0);
  });

  it('ends a session held open once vCenter refuses its token, without waiting for another request', async () => {
    const held = await cache.acquire(VC, 'tok', signal);
    now = 30_000;
    cache.sweep();
    expect(cloner.validations).toBe(0);
    now = 60_000;
    cache.sweep();
    await settle();
    expect(cloner.validations).toBe(1);
    expect(held.signal.aborted).toBeFalse();
    cloner.refuse.add('tok');
    now = 120_000;
    cache.sweep();
    await settle();
    expect(held.signal.aborted).toBeTrue();
    expect(held.session.loggedOut).toBe(1);
    held.release();
  });

  it('gives every session an absolute lifetime that use does not extend', async () => {
    cache = new SessionCache({ cloner, idleMs: 600_000, log: silentLogger, clock: () => now, sweepIntervalMs: 0, lifetimeMs: 3_600_000 });
    const first = await cache.acquire(VC, 'tok', signal);
    first.release();
    for (now = 50_000; now < 3_600_000; now += 50_000) (await cache.acquire(VC, 'tok', signal)).release();
    expect(cloner.clones).toBe(1);
    const held = await cache.acquire(VC, 'other', signal);
    now = 3_600_000;
    const next = await cache.acquire(VC, 'tok', signal);
    expect(next.reused).toBeFalse();
    expect(next.session).not.toBe(first.session);
    await settle();
    expect(first.session.loggedOut).toBe(1);
    // One held open (an event stream) ends at its lifetime too.
    now = 7_200_000;
    cache.sweep();
    await settle();
    expect(held.signal.aborted).toBeTrue();
    expect(held.session.loggedOut).toBe(1);
    next.release();
    held.release();
  });

  it('remembers a refused token briefly without asking vCenter again, then tries again', async () => {
    cloner.refuse.add('bad');
    await expectAsync(cache.acquire(VC, 'bad', signal)).toBeRejectedWith(jasmine.any(AuthenticationError));
    expect(cache.size).toBe(0);
    cloner.refuse.clear();
    now = 29_999;
    await expectAsync(cache.acquire(VC, 'bad', signal)).toBeRejectedWith(jasmine.any(AuthenticationError));
    expect(cloner.clones).toBe(1);
    now = 30_000;
    const lease = await cache.acquire(VC, 'bad', signal);
    expect(lease.reused).toBeFalse();
    expect(cloner.clones).toBe(2);
    lease.release();
  });

  it('caps the logins under way at once and refuses more with queue-full', async () => {
    cache = new SessionCache({ cloner, idleMs: 600_000, log: silentLogger, clock: () => now, sweepIntervalMs: 0, maxConcurrentLogins: 2 });
    let open!: () => void;
    cloner.gate = new Promise((r) => (open = r));
    const a = cache.acquire(VC, 'a', signal);
    const b = cache.acquire(VC, 'b', signal);
    // The same token as one under way shares it; a third token is one login too many.
    const a2 = cache.acquire(VC, 'a', signal);
    await expectAsync(cache.acquire(VC, 'c', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'queue-full' }));
    expect(cloner.clones).toBe(2);
    open();
    for (const l of await Promise.all([a, b, a2])) l.release();
    (await cache.acquire(VC, 'c', signal)).release();
    expect(cloner.clones).toBe(3);
  });

  it('gives up a login that takes longer than the login timeout', async () => {
    const hanging: SessionCloner<RecordingSession> = {
      clone: (_vc, _token, sig) => new Promise((_resolve, reject) => sig.addEventListener('abort', () => reject(sig.reason), { once: true })),
      validate: () => Promise.resolve(),
    };
    const slow = new SessionCache({ cloner: hanging, idleMs: 600_000, log: silentLogger, sweepIntervalMs: 0, loginTimeoutMs: 20 });
    await expectAsync(slow.acquire(VC, 'tok', signal)).toBeRejected();
    expect(slow.size).toBe(0);
    await slow.close();
  });

  it('drops a discarded session and logs it out', async () => {
    const lease = await cache.acquire(VC, 'tok', signal);
    lease.discard();
    await settle();
    expect(lease.session.loggedOut).toBe(1);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxSessions, evicting the least recently used idle one', async () => {
    const a = await cache.acquire(VC, 'a', signal);
    a.release();
    now = 1;
    const b = await cache.acquire(VC, 'b', signal);
    b.release();
    now = 2;
    const c = await cache.acquire(VC, 'c', signal);
    await settle();
    expect(cache.size).toBe(2);
    expect(a.session.loggedOut).toBe(1);
    expect(b.session.loggedOut).toBe(0);
    c.release();
  });

  it('logs out everything on close and refuses new sessions afterwards', async () => {
    const a = await cache.acquire(VC, 'a', signal);
    const b = await cache.acquire(VC, 'b', signal);
    b.release();
    await cache.close();
    expect(a.session.loggedOut).toBe(1);
    expect(b.session.loggedOut).toBe(1);
    await expectAsync(cache.acquire(VC, 'a', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'shutting-down' }));
    a.release();
  });

  it('logs out a clone that lands after close', async () => {
    let open!: () => void;
    cloner.gate = new Promise((r) => (open = r));
    const pending = cache.acquire(VC, 'late', signal);
    const closed = cache.close();
    open();
    await closed;
    await expectAsync(pending).toBeRejectedWith(jasmine.objectContaining({ code: 'shutting-down' }));
    expect(cloner.made[0]?.loggedOut).toBe(1);
  });
});
