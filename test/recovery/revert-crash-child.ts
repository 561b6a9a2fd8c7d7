/**
 * Test-only entry: a Lifeline server reduced to one revert. Opens the repository, the job runner
 * and the recovery store on one SQLite file (as the server's state database holds both) and the
 * vCenter, and runs one 'restore' job that reverts a VM. At the chosen step the vCenter calls stop
 * answering and the process prints {"stalled": step}, so the parent can kill it right there:
 * 'upload' halfway through the first disk's data, 'swap-2' at the second disk swap, 'power-on'
 * when powering the reverted VM on.
 *
 * Argument: a JSON object { url, thumbprint, user, password, repoDir, db, vcenterGuid, vm, pointId, stallAt }.
 */
import Database from 'better-sqlite3';
import { Transform, type Readable } from 'node:stream';
import { createJobRunner, isTerminal, systemClock } from '../../plugin-server/src/jobs/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { createRestoreJobHandler, RecoveryService, SqliteRecoveryStore, type RecoveryVcenter } from '../../plugin-server/src/recovery/index.js';
import { Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter } from '../../plugin-server/src/vsphere/index.js';

interface ChildConfig {
  url: string;
  thumbprint: string;
  user: string;
  password: string;
  repoDir: string;
  db: string;
  vcenterGuid: string;
  vm: string;
  pointId: string;
  stallAt: 'upload' | 'swap-2' | 'power-on';
}

const forever = new Promise<never>(() => undefined);

function stall(step: string): Promise<never> {
  process.stdout.write(JSON.stringify({ stalled: step }) + '\n');
  return forever;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const signal = new AbortController().signal;
  const repo = await Repository.open(cfg.repoDir, { codecThreads: 1 }, signal);
  const vc = await connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password: cfg.password });
  let swaps = 0;
  const stalling: RecoveryVcenter = Object.assign(Object.create(vc) as RecoveryVcenter, {
    uploadFile: (...args: Parameters<RecoveryVcenter['uploadFile']>) => {
      const [file, source, size, sig] = args;
      if (cfg.stallAt !== 'upload' || Buffer.isBuffer(source)) return vc.uploadFile(...args);
      let passed = 0;
      const half = new Transform({
        transform(chunk: Buffer, _enc, done) {
          passed += chunk.length;
          if (passed <= size / 2) done(null, chunk);
          else void stall('upload');
        },
      });
      return vc.uploadFile(file, (source as Readable).pipe(half), size, sig);
    },
    swapDiskBacking: (...args: Parameters<RecoveryVcenter['swapDiskBacking']>) => (cfg.stallAt === 'swap-2' && ++swaps === 2 ? stall('swap-2') : vc.swapDiskBacking(...args)),
    powerOn: (...args: Parameters<RecoveryVcenter['powerOn']>) => (cfg.stallAt === 'power-on' ? stall('power-on') : vc.powerOn(...args)),
  });
  const db = new Database(cfg.db);
  const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 }, progressIntervalMs: 50 });
  const store = new SqliteRecoveryStore(db, systemClock);
  const vcenters = { vcenter: () => Promise.resolve(stalling) };
  runner.register('restore', createRestoreJobHandler({ repository: repo, vcenters, store }));
  await runner.start();
  const service = new RecoveryService({ runner, repository: repo, store, vcenters });
  const { job } = await service.revert({ vcenterGuid: cfg.vcenterGuid, moref: cfg.vm }, cfg.pointId, true, 'crash-test', signal);
  process.stdout.write(JSON.stringify({ jobId: job.id }) + '\n');
  while (!isTerminal(runner.get(job.id).state)) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(JSON.stringify({ state: runner.get(job.id).state }) + '\n');
  await runner.stop();
  db.close();
  vc.close();
  await repo.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
