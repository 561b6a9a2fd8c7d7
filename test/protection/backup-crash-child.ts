/**
 * Test-only entry: a Lifeline server reduced to one backup (see one-job-child.ts). Runs one
 * 'backup' job and exits when it ends. Disk reads are slowed down so the parent can kill this
 * process while the backup reads.
 *
 * Argument: a JSON object { url, thumbprint, user, password, repoDir, db, vcenterGuid, vm, readDelayMs }.
 */
import { createBackupJobHandler, type BackupVcenter } from '../../plugin-server/src/protection/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { policy } from './backup-fixture.js';
import { runOneJob, type OneJobConfig } from './one-job-child.js';

interface ChildConfig extends OneJobConfig {
  vcenterGuid: string;
  vm: string;
  readDelayMs: number;
}

runOneJob<ChildConfig>((cfg, { repo, vc, runner }) => {
  const slow: BackupVcenter = Object.assign(Object.create(vc) as BackupVcenter, {
    readRangeInto: async (...args: Parameters<BackupVcenter['readRangeInto']>) => {
      await new Promise((r) => setTimeout(r, cfg.readDelayMs));
      return vc.readRangeInto(...args);
    },
  });
  const pol = policy('crash-test', { consistency: 'crash' });
  runner.register('backup', createBackupJobHandler({ repository: repo, policies: { getPolicy: () => pol }, vcenters: { vcenter: () => Promise.resolve(slow) }, clock: systemClock, retry: { maxAttempts: 1 } }));
  return () => {
    const vm = { vcenterGuid: cfg.vcenterGuid, moref: cfg.vm };
    return runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid }, params: { vm, policyId: pol.id, trigger: 'manual' } }).job.id;
  };
});
