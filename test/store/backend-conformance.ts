/**
 * The Backend conformance suite (restic's backend/test): every Backend implementation runs this
 * same list of specs, which spell out the contract in backend.ts. A new backend (S3) passes it
 * before the repository may use it.
 */
import type { Backend } from '../../plugin-server/src/store/backend/backend.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';

export interface ConformanceSubject {
  backend: Backend;
  /**
   * Moves the backend's clock (ms since the epoch). A backend whose retention the storage server
   * judges by its own clock (S3) cannot have that clock moved: its subject waits until real time
   * reaches `ms` as well.
   */
  setNow(ms: number): void | Promise<void>;
  now(): number;
  cleanup(): Promise<void>;
  /**
   * The time unit of the retention specs in ms (default 1000). A subject that must wait for real
   * time chooses a shorter one; 5 units are a whole number of seconds in any case, since S3 keeps
   * retain-until in seconds.
   */
  unitMs?: number;
  /**
   * Whether put-if-absent is atomic (default true). S3 with Object Lock cannot refuse a second
   * put of a key in its versioned buckets; backend.ts says what holds instead, and the race spec
   * checks that for such a backend.
   */
  exclusivePut?: boolean;
}

const signal = new AbortController().signal;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function collect(it: AsyncIterable<{ key: string; size: number }>): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  for await (const x of it) out.push(x);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isStoreError(err) ? err.code : `other: ${String(err)}`;
  }
}

export function describeBackendContract(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`Backend contract: ${name}`, () => {
    let s: ConformanceSubject;
    let b: Backend;

    let u: number;

    beforeEach(async () => {
      s = await make();
      b = s.backend;
      u = s.unitMs ?? 1000;
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('puts an object and reads back exactly its bytes', async () => {
      expect(await b.put('data/one', bytes('hello world'), { signal })).toEqual({ created: true });
      expect(text(await b.get('data/one', signal))).toBe('hello world');
    });

    // How exactly the free room follows writes is checked on a file system of its own
    // (store-full.spec.ts); a shared one changes under other writers.
    it('reports its room as null (no fixed bound) or as sane sizes', async () => {
      const before = await b.space(signal);
      if (before === null) {
        await b.put('data/room', new Uint8Array(1 << 20), { signal });
        expect(await b.space(signal)).toBeNull();
        return;
      }
      expect(before.totalBytes).toBeGreaterThan(0);
      expect(before.freeBytes).toBeGreaterThanOrEqual(0);
      expect(before.freeBytes).toBeLessThanOrEqual(before.totalBytes);
      await b.put('data/room', new Uint8Array(8 << 20).fill(7), { signal });
      const after = await b.space(signal);
      expect(after?.totalBytes).toBe(before.totalBytes);
      expect(after?.freeBytes).toBeLessThanOrEqual(before.totalBytes);
    });

    it('writes an object given as several parts as their concatenation', async () => {
      await b.put('data/parts', [bytes('ab'), new Uint8Array(0), bytes('cde')], { signal });
      expect(text(await b.get('data/parts', signal))).toBe('abcde');
    });

    it('never overwrites: a second put of a key reports created=false and keeps the first bytes', async () => {
      await b.put('data/x', bytes('first'), { signal });
      expect(await b.put('data/x', bytes('second and longer'), { signal })).toEqual({ created: false });
      expect(text(await b.get('data/x', signal))).toBe('first');
    });

    it('lets exactly one of several concurrent puts of one key create it, whole (or, without atomic put-if-absent, keeps one whole body)', async () => {
      const bodies = Array.from({ length: 8 }, (_, i) => new Uint8Array(64 * 1024).fill(i + 1));
      const results = await Promise.all(bodies.map((body) => b.put('data/race', body, { signal })));
      const created = results.filter((r) => r.created).length;
      if (s.exclusivePut === false) expect(created).toBeGreaterThanOrEqual(1);
      else expect(created).toBe(1);
      const got = await b.get('data/race', signal);
      expect(got.byteLength).toBe(64 * 1024);
      expect(new Set(got).size).toBe(1);
    });

    it('reads ranges, including an empty one at the end, and refuses ranges outside the object', async () => {
      await b.put('data/r', bytes('0123456789'), { signal });
      expect(text(await b.get('data/r', signal, { offset: 2, length: 3 }))).toBe('234');
      expect(text(await b.get('data/r', signal, { offset: 7, length: 3 }))).toBe('789');
      expect((await b.get('data/r', signal, { offset: 10, length: 0 })).byteLength).toBe(0);
      expect(await codeOf(b.get('data/r', signal, { offset: 8, length: 3 }))).toBe('invalid-range');
      expect(await codeOf(b.get('data/r', signal, { offset: -1, length: 1 }))).toBe('invalid-range');
    });

    it('reads into a caller buffer when the bytes fit, and into a new one when they do not', async () => {
      await b.put('data/into', bytes('0123456789'), { signal });
      const room = new Uint8Array(32);
      const got = await b.get('data/into', signal, undefined, room);
      expect(text(got)).toBe('0123456789');
      expect(got.buffer).toBe(room.buffer);
      expect(text(await b.get('data/into', signal, { offset: 3, length: 4 }, room))).toBe('3456');
      expect(text(await b.get('data/into', signal, undefined, new Uint8Array(4)))).toBe('0123456789');
    });

    it('round-trips a multi-megabyte object', async () => {
      const big = new Uint8Array(5 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
      await b.put('data/big', big, { signal });
      expect(Buffer.compare(Buffer.from(await b.get('data/big', signal)), Buffer.from(big))).toBe(0);
      const part = await b.get('data/big', signal, { offset: 4 * 1024 * 1024, length: 1000 });
      expect(Buffer.compare(Buffer.from(part), Buffer.from(big.subarray(4 * 1024 * 1024, 4 * 1024 * 1024 + 1000)))).toBe(0);
    });

    it('reports a missing object as object-not-found on get and null on stat', async () => {
      expect(await codeOf(b.get('data/none', signal))).toBe('object-not-found');
      expect(await codeOf(b.get('data/none', signal, { offset: 0, length: 1 }))).toBe('object-not-found');
      expect(await b.stat('data/none', signal)).toBeNull();
    });

    it('stats size and an absent lock', async () => {
      await b.put('data/s', bytes('12345'), { signal });
      const info = await b.stat('data/s', signal);
      expect(info?.size).toBe(5);
      expect(info?.retainUntil).toBe(0);
    });

    it('lists by prefix, across directory levels and within a segment', async () => {
      for (const k of ['chunks/ab/ab01', 'chunks/ab/ab02', 'chunks/cd/cd01', 'points/p1/manifest', 'config']) {
        await b.put(k, bytes(k), { signal });
      }
      expect((await collect(b.list('chunks/', signal))).map((x) => x.key)).toEqual(['chunks/ab/ab01', 'chunks/ab/ab02', 'chunks/cd/cd01']);
      expect((await collect(b.list('chunks/a', signal))).map((x) => x.key)).toEqual(['chunks/ab/ab01', 'chunks/ab/ab02']);
      expect((await collect(b.list('chunks/ab/ab0', signal))).map((x) => x.key)).toEqual(['chunks/ab/ab01', 'chunks/ab/ab02']);
      expect(await collect(b.list('points/p1/', signal))).toEqual([{ key: 'points/p1/manifest', size: 18 }]);
      expect(await collect(b.list('nothing/', signal))).toEqual([]);
      const all = (await collect(b.list('', signal))).map((x) => x.key);
      expect(all).toEqual(jasmine.arrayContaining(['chunks/ab/ab01', 'chunks/cd/cd01', 'config', 'points/p1/manifest']));
    });

    it('deletes, and reports a delete of a missing object as false', async () => {
      await b.put('data/d', bytes('x'), { signal });
      expect(await b.delete('data/d', signal)).toBe(true);
      expect(await b.stat('data/d', signal)).toBeNull();
      expect(await b.delete('data/d', signal)).toBe(false);
      expect(await b.put('data/d', bytes('again'), { signal })).toEqual({ created: true });
    });

    it('takes a content-addressed put of a key that exists: the key reads one whole body, and one delete removes it for good', async () => {
      const body = new Uint8Array(64 * 1024).fill(7);
      expect(await b.put('chunks/cd/cd01', body, { signal, contentAddressed: true })).toEqual({ created: true });
      const again = await b.put('chunks/cd/cd01', Uint8Array.from(body), { signal, contentAddressed: true });
      if (s.exclusivePut !== false) expect(again).toEqual({ created: false });
      expect(Buffer.from(await b.get('chunks/cd/cd01', signal)).equals(Buffer.from(body))).toBeTrue();
      // Where the second put wrote a second version, the delete takes both.
      expect(await b.delete('chunks/cd/cd01', signal)).toBe(true);
      expect(await b.stat('chunks/cd/cd01', signal)).toBeNull();
      expect(await b.delete('chunks/cd/cd01', signal)).toBe(false);
    });

    it('refuses to delete a locked object before its retain-until, and allows it from then on', async () => {
      const until = s.now() + 10 * u;
      await b.put('data/locked', bytes('keep me'), { signal, retainUntil: until });
      expect((await b.stat('data/locked', signal))?.retainUntil).toBe(until);
      expect(await codeOf(b.delete('data/locked', signal))).toBe('retention-locked');
      expect(text(await b.get('data/locked', signal))).toBe('keep me');
      await s.setNow(until - 1);
      expect(await codeOf(b.delete('data/locked', signal))).toBe('retention-locked');
      await s.setNow(until);
      expect(await b.delete('data/locked', signal)).toBe(true);
    });

    it('keeps a locked object from being overwritten', async () => {
      await b.put('data/lo', bytes('original'), { signal, retainUntil: s.now() + 60_000 });
      expect(await b.put('data/lo', bytes('replacement'), { signal })).toEqual({ created: false });
      expect(text(await b.get('data/lo', signal))).toBe('original');
    });

    it('extends a lock and never shortens one', async () => {
      const t0 = s.now();
      await b.put('data/l', bytes('x'), { signal });
      expect(await b.lock('data/l', t0 + 10 * u, signal)).toBe(t0 + 10 * u);
      expect(await b.lock('data/l', t0 + 20 * u, signal)).toBe(t0 + 20 * u);
      expect(await b.lock('data/l', t0 + 5 * u, signal)).toBe(t0 + 20 * u);
      expect((await b.stat('data/l', signal))?.retainUntil).toBe(t0 + 20 * u);
      await s.setNow(t0 + 15 * u);
      expect(await codeOf(b.delete('data/l', signal))).toBe('retention-locked');
    });

    it('ends concurrent lock extensions at the latest requested time', async () => {
      const t0 = s.now();
      await b.put('data/cl', bytes('x'), { signal });
      const untils = Array.from({ length: 12 }, (_, i) => t0 + 5 * u * ((i * 7) % 12 + 1));
      await Promise.all(untils.map((u) => b.lock('data/cl', u, signal)));
      expect((await b.stat('data/cl', signal))?.retainUntil).toBe(Math.max(...untils));
    });

    it('marks a lock change as a touch', async () => {
      await b.put('data/t', bytes('x'), { signal });
      const before = (await b.stat('data/t', signal))?.touchedAt ?? 0;
      await s.setNow(s.now() + 5 * u);
      await b.lock('data/t', s.now() + 60 * u, signal);
      const after = (await b.stat('data/t', signal))?.touchedAt ?? 0;
      expect(after).toBeGreaterThanOrEqual(before);
    });

    it('reports a lock of a missing object as object-not-found', async () => {
      expect(await codeOf(b.lock('data/missing', s.now() + 1000, signal))).toBe('object-not-found');
    });

    it('quarantines a locked object: its bytes and lock move to the quarantine key, the old key reads as absent', async () => {
      const until = s.now() + 10 * u;
      await b.put('chunks/ab/ab01', bytes('rotten'), { signal, retainUntil: until });
      expect(await b.quarantine('chunks/ab/ab01', signal)).toBe('chunks/ab/ab01.bad');
      expect(await codeOf(b.get('chunks/ab/ab01', signal))).toBe('object-not-found');
      expect(await b.stat('chunks/ab/ab01', signal)).toBeNull();
      expect(text(await b.get('chunks/ab/ab01.bad', signal))).toBe('rotten');
      expect((await b.stat('chunks/ab/ab01.bad', signal))?.retainUntil).toBe(until);
      expect(await codeOf(b.delete('chunks/ab/ab01.bad', signal))).toBe('retention-locked');
      expect(text(await b.get('chunks/ab/ab01.bad', signal))).toBe('rotten');
      expect((await collect(b.list('chunks/ab/', signal))).map((x) => x.key)).toEqual(['chunks/ab/ab01.bad']);
      // The old key is free for a good copy.
      expect(await b.put('chunks/ab/ab01', bytes('fresh'), { signal })).toEqual({ created: true });
      expect(text(await b.get('chunks/ab/ab01', signal))).toBe('fresh');
      await s.setNow(until);
      expect(await b.delete('chunks/ab/ab01.bad', signal)).toBe(true);
    });

    it('never overwrites an earlier quarantined copy of the same key', async () => {
      await b.put('chunks/cd/cd01', bytes('first'), { signal });
      expect(await b.quarantine('chunks/cd/cd01', signal)).toBe('chunks/cd/cd01.bad');
      await b.put('chunks/cd/cd01', bytes('second'), { signal });
      expect(await b.quarantine('chunks/cd/cd01', signal)).toBe('chunks/cd/cd01.bad-2');
      await b.put('chunks/cd/cd01', bytes('third'), { signal });
      expect(await b.quarantine('chunks/cd/cd01', signal)).toBe('chunks/cd/cd01.bad-3');
      expect(text(await b.get('chunks/cd/cd01.bad', signal))).toBe('first');
      expect(text(await b.get('chunks/cd/cd01.bad-2', signal))).toBe('second');
      expect(text(await b.get('chunks/cd/cd01.bad-3', signal))).toBe('third');
      expect(await b.stat('chunks/cd/cd01', signal)).toBeNull();
    });

    it('reports a quarantine of a missing object as object-not-found and creates nothing', async () => {
      expect(await codeOf(b.quarantine('chunks/ef/ef01', signal))).toBe('object-not-found');
      expect(await b.stat('chunks/ef/ef01.bad', signal)).toBeNull();
      expect(await codeOf(b.quarantine('bad key', signal))).toBe('invalid-key');
    });

    it('rejects keys outside the key grammar', async () => {
      for (const k of ['', '/abs', 'a//b', '../up', 'a/../b', 'Upper', 'a/', 'sp ace', '.hidden']) {
        expect(await codeOf(b.put(k, bytes('x'), { signal }))).withContext(k).toBe('invalid-key');
        expect(await codeOf(b.get(k, signal))).withContext(k).toBe('invalid-key');
      }
    });

    it('makes an object vouched for by a check visible only once the check passes, and none when it fails', async () => {
      let pass!: () => void;
      const check = new Promise<void>((resolve) => (pass = resolve));
      const put = b.put('data/vouched', bytes('checked bytes'), { signal, contentAddressed: true, vouchedBy: check });
      // Whatever the backend has written meanwhile, the key does not read as an object yet.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await b.stat('data/vouched', signal)).toBeNull();
      pass();
      expect(await put).toEqual({ created: true });
      expect(text(await b.get('data/vouched', signal))).toBe('checked bytes');

      const refusal = new Error('the bytes do not verify');
      const failed = Promise.reject(refusal);
      failed.catch(() => undefined);
      await expectAsync(b.put('data/refused', bytes('bad bytes'), { signal, contentAddressed: true, vouchedBy: failed })).toBeRejectedWith(refusal);
      expect(await b.stat('data/refused', signal)).toBeNull();
      expect((await collect(b.list('data/', signal))).map((x) => x.key)).toEqual(['data/vouched']);
    });

    it('leaves no object behind when a put is aborted before it starts', async () => {
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      await expectAsync(b.put('data/aborted', bytes('x'), { signal: ac.signal })).toBeRejected();
      expect(await b.stat('data/aborted', signal)).toBeNull();
    });
  });
}
