/**
 * What the backup suites share: the simulator, a real repository in a temporary directory behind
 * a fault-injecting backend, a real SQLite job runner with the 'backup' kind registered, guest
 * data written into the simulator's flat files, and restoring a point's disk to a file.
 */
import Database from 'better-sqlite3';
import { createHash, createCipheriv } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupHooks } from '../../plugin-server/src/hooks/index.js';
import { createJobRunner, isTerminal, type JobRecord, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock, type VmRef } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { createBackupJobHandler, type BackupVcenter } from '../../plugin-server/src/protection/index.js';
import type { PolicySpec, ProtectionPolicy } from '../../plugin-server/src/protection/index.js';
import { FileDiskWriter, initRepository, Repository, restoreDisk, type Backend } from '../../plugin-server/src/store/index.js';
import { FaultyBackend } from '../../plugin-server/src/store/testing.js';
import { connectVcenter, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import type { Vcsim } from '../vcsim/harness.js';

export const MiB = 1024 * 1024;
export const never = new AbortController().signal;

export function policy(id: string, spec: Partial<PolicySpec> = {}): ProtectionPolicy {
  return {
    id,
    name: id,
    rpoSeconds: 3600,
    retention: { keepLast: 10, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    immutabilityDays: 1,
    consistency: 'application',
    onQuiesceFailure: 'fail',
    excludedDisks: [],
    windows: [],
    replicationSite: null,
    hookSet: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...spec,
  };
}

/** Deterministic bytes for a seed (AES-CTR keystream). */
export function seeded(seed: number, n: number): Buffer {
  const key = createHash('sha256').update(`backup seed ${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** Writes `data` into a disk's flat file at `offset`, as a guest would. */
export async function writeDisk(path: string, offset: number, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.byteLength, offset);
  } finally {
    await fh.close();
  }
}

/**
 * Fills a disk with a mix the store treats differently: random 1 MiB blocks, text, repeats of an
 * earlier block, and untouched zeros (every fourth MiB is left alone).
 */
export async function fillDisk(path: string, capacity: number, seed: number): Promise<void> {
  for (let i = 0; i * MiB < capacity; i++) {
    if (i % 4 === 3) continue;
    const block = i % 4 === 2 ? Buffer.from('lifeline backup test text; '.repeat(Math.ceil(MiB / 27)).slice(0, MiB)) : seeded(seed * 10_000 + (i % 7 === 5 ? 1 : i), MiB);
    await writeDisk(path, i * MiB, block);
  }
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

export interface Harness {
  dir: string;
  repo: Repository;
  faulty: FaultyBackend;
  runner: JobRunner;
  vc: Vcenter;
  policies: Map<string, ProtectionPolicy>;
  /** Tests replace these per VM. */
  hooks: Map<string, BackupHooks>;
  /** Wraps the vCenter the job sees, e.g. to fail disk reads. */
  wrapVcenter: ((vc: BackupVcenter) => BackupVcenter) | null;
  close(): Promise<void>;
}

export async function openHarness(sim: Vcsim, label: string, opts: { hookTimeoutMs?: number } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), `lifeline-${label}-`));
  const repoDir = join(dir, 'repo');
  await initRepository(repoDir, { encrypt: false }, never);
  let faulty: FaultyBackend | undefined;
  const repo = await Repository.open(repoDir, { codecThreads: 2, wrapBackend: (b: Backend) => (faulty = new FaultyBackend(b)) }, never);
  if (!faulty) throw new Error('the repository did not take the backend wrapper');
  const vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
  const db = new Database(join(dir, 'jobs.db'));
  const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 4 }, progressIntervalMs: 50 });
  const h: Harness = {
    dir,
    repo,
    faulty,
    runner,
    vc,
    policies: new Map(),
    hooks: new Map(),
    wrapVcenter: null,
    close: async () => {
      await runner.stop();
      db.close();
      vc.close();
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  runner.register(
    'backup',
    createBackupJobHandler({
      repository: repo,
      policies: {
        getPolicy: (id) => {
          const p = h.policies.get(id);
          if (!p) throw new Error(`no policy ${id}`);
          return p;
        },
      },
      vcenters: { vcenter: () => Promise.resolve(h.wrapVcenter ? h.wrapVcenter(vc) : vc) },
      hooksFor: (vm) => h.hooks.get(vm.moref) ?? { preSnapshot: () => Promise.resolve({ ran: 0, messages: [] }), postSnapshot: () => Promise.resolve({ ran: 0, messages: [] }) },
      clock: systemClock,
      retry: { maxAttempts: 1 },
      ...(opts.hookTimeoutMs !== undefined ? { hookTimeoutMs: opts.hookTimeoutMs } : {}),
    }),
  );
  await runner.start();
  return h;
}

/** Submits a backup and waits for it to end. */
export async function backup(h: Harness, vm: VmRef, policyId: string): Promise<JobRecord> {
  const { job } = h.runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid }, params: { vm, policyId, trigger: 'manual' } });
  for (;;) {
    const j = h.runner.get(job.id);
    if (isTerminal(j.state)) return j;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function jobLog(h: Harness, id: string): string {
  return h.runner
    .readLog(id, 0, 1000)
    .map((l) => `${l.level}: ${l.message}`)
    .join('\n');
}

/** Restores one disk of a point to a new file; returns the file's SHA-256. */
export async function restoreToFile(repo: Repository, pointId: string, disk: number, out: string): Promise<string> {
  const index = await repo.openIndex(pointId, disk, never);
  const writer = await FileDiskWriter.create(out, index.capacity);
  try {
    await restoreDisk({ index, source: repo.chunks(), writer, signal: never, zeroSlots: 'skip' });
  } finally {
    await writer.close();
  }
  return sha256File(out);
}

/** Names of the VM's snapshots that Lifeline made. */
export async function lifelineSnapshots(vc: Vcenter, vm: string): Promise<string[]> {
  const tree = await vc.snapshotTree(vm);
  const out: string[] = [];
  const walk = (nodes: typeof tree.roots): void => {
    for (const n of nodes) {
      if (n.name.startsWith('lifeline-')) out.push(n.name);
      walk(n.children);
    }
  };
  walk(tree.roots);
  return out;
}
