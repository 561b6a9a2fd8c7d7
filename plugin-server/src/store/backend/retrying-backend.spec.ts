import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../domain/index.js';
import { openBackend } from './backend-stack.js';
import type { Backend } from './backend.js';
import { FaultyBackend, MemoryBackend } from '../testing.js';
import { RetryingBackend } from './retrying-backend.js';
import { StoreError } from '../store-error.js';

const never = new AbortController().signal;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RetryingBackend', () => {
  let faulty: FaultyBackend;
  let backend: RetryingBackend;

  beforeEach(async () => {
    const memory = new MemoryBackend(systemClock);
    await memory.put('a/one', bytes('one'), { signal: never });
    await memory.put('a/two', bytes('two'), { signal: never });
    faulty = new FaultyBackend(memory);
    backend = new RetryingBackend(faulty, { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 });
  });

  it('repeats an operation that failed with backend-io until it succeeds', async () => {
    faulty.inject({ op: 'get', times: 2 });
    expect(text(await backend.get('a/one', never))).toBe('one');
    expect(faulty.calls.get).toBe(3);
    expect(backend.retries).toBe(2);
  });

  it('gives up after its attempts with the last backend-io error', async () => {
    faulty.inject({ op: 'stat' });
    await expectAsync(backend.stat('a/one', never)).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-io' }));
    expect(faulty.calls.stat).toBe(3);
  });

  it('passes every other error on at the first attempt', async () => {
    for (const code of ['backend-refused', 'retention-locked', 'store-full', 'object-not-found'] as const) {
      faulty.clear();
      faulty.calls.lock = 0;
      faulty.inject({ op: 'lock', times: 1, error: new StoreError(code, `injected ${code}`) });
      await expectAsync(backend.lock('a/one', Date.now() + 60_000, never)).toBeRejectedWith(jasmine.objectContaining({ code }));
      expect(faulty.calls.lock).withContext(code).toBe(1);
    }
  });

  it('stores an object once when its put is repeated', async () => {
    faulty.inject({ op: 'put', times: 1 });
    expect(await backend.put('a/three', bytes('three'), { signal: never })).toEqual({ created: true });
    expect(faulty.calls.put).toBe(2);
    expect(text(await backend.get('a/three', never))).toBe('three');
  });

  it('repeats a listing that failed before it yielded anything', async () => {
    faulty.inject({ op: 'list', times: 1 });
    const keys: string[] = [];
    for await (const o of backend.list('a/', never)) keys.push(o.key);
    expect(keys.sort()).toEqual(['a/one', 'a/two']);
    expect(faulty.calls.list).toBe(2);
  });

  it('does not repeat a quarantine, whose first attempt may have moved the object', async () => {
    faulty.inject({ op: 'quarantine', times: 1 });
    await expectAsync(backend.quarantine('a/one', never)).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-io' }));
    expect(faulty.calls.quarantine).toBe(1);
  });

  it('stops waiting when the signal is aborted', async () => {
    const slow = new RetryingBackend(faulty, { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 });
    faulty.inject({ op: 'get' });
    const ac = new AbortController();
    const reason = new Error('stop');
    const got = slow.get('a/one', ac.signal);
    await new Promise((r) => setImmediate(r));
    ac.abort(reason);
    await expectAsync(got).toBeRejectedWith(reason);
    expect(faulty.calls.get).toBe(1);
  });
});

describe('the backend stack', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-stack-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the retries between the storage and any wrapper a test adds', async () => {
    let under: Backend | undefined;
    const top = await openBackend(dir, { clock: systemClock, wrap: (b) => (under = b) }, never);
    expect(under).toBeInstanceOf(RetryingBackend);
    expect(top).toBe(under as Backend);
  });
});
