/**
 * What the benchmarks against the vCenter simulator share: a scratch folder (under
 * LIFELINE_BENCH_DIR, else the system's temporary folder) holding the simulator's datastore, one
 * powered-off VM with one change-tracked disk, both removed when the run ends, and a failure
 * reported on stderr with a failing exit code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVcsim, type Vcsim } from '../test/vcsim/harness.js';

export function runSimBench(name: string, diskGiB: number, body: (sim: Vcsim, work: string) => Promise<void>): void {
  const run = async (): Promise<void> => {
    const work = await mkdtemp(join(process.env['LIFELINE_BENCH_DIR'] ?? tmpdir(), `lifeline-bench-${name}-`));
    try {
      // A vCenter answers QueryChangedDiskAreas for large stretches of a disk at once; the
      // simulator's default span (16 MiB, to exercise the query loop) would cost 512 round trips here.
      const sim = await startVcsim({ vms: 1, disks: 1, diskSize: `${diskGiB}GiB`, poweredOff: true, cbt: true, cbtSpan: '256MiB', datastoreDir: work });
      try {
        await body(sim, work);
      } finally {
        await sim.stop();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
  run().catch((err: unknown) => {
    process.stderr.write(`bench ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
