import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../plugin-server/src/store/local-backend.js';
import { MemoryBackend } from '../../plugin-server/src/store/memory-backend.js';
import { FaultyBackend } from '../../plugin-server/src/store/faulty-backend.js';
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
