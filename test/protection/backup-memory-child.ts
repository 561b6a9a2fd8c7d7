/**
 * A test-only child process for the memory spec: it runs full backups of one VM in a row through
 * the whole backup pipeline (snapshot, ranged reads, hashing, compression, encryption, commit) and
 * prints one JSON line of heap and RSS samples. It runs under `node --expose-gc` so that every
 * sample is taken after a full collection: what is left is what the pipeline holds, not garbage
 * the collector has not come round to yet.
 *
 * Argument: a JSON object { url, thumbprint, user, password, instanceUuid, vm, deviceKey, repoDir,
 * backups, rewriteMiB }. Before each backup it rewrites `rewriteMiB` MiB of the disk with new
 * random data through the simulator, so that every backup also compresses and encrypts new chunks.
 */
import { randomFillSync } from 'node:crypto';
import { noHooks } from '../../plugin-server/src/hooks/index.js';
import { runBackup, type BackupContext } from '../../plugin-server/src/protection/index.js';
import { Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter } from '../../plugin-server/src/vsphere/index.js';
import type { Vcsim } from '../vcsim/harness.js';

export interface MemoryChildConfig {
  url: string;
  thumbprint: string;
  user: string;
  password: string;
  instanceUuid: string;
  vm: string;
  deviceKey: number;
  repoDir: string;
  passphrase: string;
  backups: number;
  /** MiB the parent rewrites between two backups (the child asks on stdout and waits for a line on stdin); 0 for none. */
  rewriteMiB: number;
}

export interface MemorySample {
  backup: number;
  heapUsedMiB: number;
  rssMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  bytesRead: number;
}

const MiB = 1024 * 1024;
const never = new AbortController().signal;

declare const gc: (() => void) | undefined;

function sample(backup: number, bytesRead: number): MemorySample {
  if (typeof gc === 'function') {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const r = (n: number) => Math.round((n / MiB) * 10) / 10;
  return { backup, heapUsedMiB: r(m.heapUsed), rssMiB: r(m.rss), externalMiB: r(m.external), arrayBuffersMiB: r(m.arrayBuffers), bytesRead };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as MemoryChildConfig;
  const repo = await Repository.open(cfg.repoDir, { passphrase: cfg.passphrase }, never);
  const vc = await connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password: cfg.password });
  const ctx: BackupContext = { signal: never, phase: () => undefined, progress: () => undefined, log: () => undefined, saveCheckpoint: () => undefined };
  const samples: MemorySample[] = [sample(0, 0)];
  try {
    for (let i = 1; i <= cfg.backups; i++) {
      const result = await runBackup(
        // Under another vCenter GUID each time, the VM has no earlier point: every backup is a full one.
        { vcenter: vc, vcenterGuid: `${cfg.instanceUuid.slice(0, -4)}${String(i).padStart(4, '0')}`, repository: repo, hooks: noHooks, clock: { now: () => Date.now() } },
        { jobId: `memory-${i}`, vm: cfg.vm, policy: { consistency: 'crash', onQuiesceFailure: 'fail', excludedDisks: [], immutabilityDays: 1 } },
        ctx,
      );
      samples.push(sample(i, result.bytesRead));
      // Ask the parent to change the disk before the next backup, and wait for its go.
      if (cfg.rewriteMiB > 0 && i < cfg.backups) {
        process.stdout.write(`${JSON.stringify({ rewrite: i })}\n`);
        await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
      }
    }
  } finally {
    vc.close();
    await repo.close();
  }
  process.stdout.write(`${JSON.stringify({ samples })}\n`);
  process.stdin.destroy();
}

/** The parent's side of a rewrite: `mib` MiB of new random data at a place that moves each time. */
export async function rewrite(sim: Vcsim, vm: string, deviceKey: number, round: number, mib: number, diskMiB: number): Promise<void> {
  const buf = Buffer.allocUnsafe(mib * MiB);
  randomFillSync(buf);
  const at = ((round * mib) % Math.max(1, diskMiB / 2 - mib)) * MiB;
  await sim.writeDisk(vm, deviceKey, at, buf);
}

if (process.argv[1]?.endsWith('backup-memory-child.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
