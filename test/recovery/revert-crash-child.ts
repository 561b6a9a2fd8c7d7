/**
 * Test-only entry: a Lifeline server reduced to one revert (see one-job-child.ts), with the
 * recovery store on the job runner's SQLite file (as the server's state database holds both). It
 * runs one 'restore' job that reverts a VM. At the chosen step the vCenter calls stop
 * answering and the process prints {"stalled": step}, so the parent can kill it right there:
 * 'upload' halfway through the first disk's data, 'swap-2' at the second disk swap, 'power-on'
 * when powering the reverted VM on.
 *
 * Argument: a JSON object { url, thumbprint, user, password, repoDir, db, vcenterGuid, vm, pointId, stallAt }.
 */
import { Transform, type Readable } from 'node:stream';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { createRestoreJobHandler, RecoveryService, SqliteRecoveryStore, type RecoveryVcenter } from '../../plugin-server/src/recovery/index.js';
import { runOneJob, type OneJobConfig } from '../protection/one-job-child.js';

interface ChildConfig extends OneJobConfig {
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

runOneJob<ChildConfig>((cfg, { repo, vc, db, runner, signal }) => {
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
  const store = new SqliteRecoveryStore(db, systemClock);
  const vcenters = { vcenter: () => Promise.resolve(stalling) };
  runner.register('restore', createRestoreJobHandler({ repository: repo, vcenters, store }));
  return async () => {
    const service = new RecoveryService({ runner, repository: repo, store, vcenters });
    const { job } = await service.revert({ vcenterGuid: cfg.vcenterGuid, moref: cfg.vm }, cfg.pointId, true, 'crash-test', signal);
    return job.id;
  };
});
