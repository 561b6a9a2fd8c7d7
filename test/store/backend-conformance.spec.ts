import { link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../plugin-server/src/store/backend/local-backend.js';
import { FaultyBackend, MemoryBackend } from '../../plugin-server/src/store/testing.js';
import { describeBackendContract } from './backend-conformance.js';

function settableClock(): { now: () => number; set: (ms: number) => void } {
  let t = Date.now();
  return { now: () => t, set: (ms) => { t = ms; } };
}

describeBackendContract('local filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-backend-'));
  const clock = settableClock();
  const backend = await LocalBackend.open(dir, { clock }, new AbortController().signal);
  return { backend, setNow: clock.set, now: clock.now, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeBackendContract('memory', async () => {
  const clock = settableClock();
  return { backend: new MemoryBackend(clock), setNow: clock.set, now: clock.now, cleanup: async () => undefined };
});

// The fault-injecting wrapper with no faults armed must be invisible.
describeBackendContract('fault wrapper (no faults) over memory', async () => {
  const clock = settableClock();
  return { backend: new FaultyBackend(new MemoryBackend(clock)), setNow: clock.set, now: clock.now, cleanup: async () => undefined };
});

describe('local filesystem backend: quarantine after a crash', () => {
  it('finishes a quarantine that stopped between its link and its unlink instead of making a second copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-backend-'));
    try {
      const signal = new AbortController().signal;
      const clock = settableClock();
      const b = await LocalBackend.open(dir, { clock }, signal);
      await b.put('chunks/ab/ab01', new TextEncoder().encode('rotten'), { signal, retainUntil: clock.now() + 60_000 });
      // What a crash right after the link leaves: both names on one inode.
      await link(join(dir, 'chunks/ab/ab01'), join(dir, 'chunks/ab/ab01.bad'));
      expect(await b.quarantine('chunks/ab/ab01', signal)).toBe('chunks/ab/ab01.bad');
      expect(await b.stat('chunks/ab/ab01', signal)).toBeNull();
      expect(await b.stat('chunks/ab/ab01.bad-2', signal)).toBeNull();
      expect(new TextDecoder().decode(await b.get('chunks/ab/ab01.bad', signal))).toBe('rotten');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
