/**
 * Test-only entry: a Lifeline server reduced to one backup. Opens the repository, the job runner
 * on its SQLite file and the vCenter, runs one 'backup' job and exits when it ends. Disk reads are
 * slowed down so the parent can kill this process while the backup reads.
 *
 * Argument: a JSON object { url, thumbprint, user, password, repoDir, jobsDb, vcenterGuid, vm, readDelayMs }.
 */
import Database from 'better-sqlite3';
import { createJobRunner, isTerminal, systemClock } from '../../plugin-server/src/jobs/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { createBackupJobHandler, type BackupVcenter } from '../../plugin-server/src/protection/index.js';
import { Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter } from '../../plugin-server/src/vsphere/index.js';
import { policy } from './backup-fixture.js';

interface ChildConfig {
  url: string;
  thumbprint: string;
  user: string;
  password: string;
  repoDir: string;
  jobsDb: string;
  vcenterGuid: string;
  vm: string;
  readDelayMs: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const signal = new AbortController().signal;
  const repo = await Repository.open(cfg.repoDir, { codecThreads: 1 }, signal);
  const vc = await connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password: cfg.password });
  const slow: BackupVcenter = Object.assign(Object.create(vc) as BackupVcenter, {
    readRangeInto: async (...args: Parameters<BackupVcenter['readRangeInto']>) => {
      await new Promise((r) => setTimeout(r, cfg.readDelayMs));
      return vc.readRangeInto(...args);
    },
  });
  const db = new Database(cfg.jobsDb);
  const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 }, progressIntervalMs: 50 });
  const pol = policy('crash-test', { consistency: 'crash' });
  runner.register('backup', createBackupJobHandler({ repository: repo, policies: { getPolicy: () => pol }, vcenters: { vcenter: () => Promise.resolve(slow) }, clock: systemClock, retry: { maxAttempts: 1 } }));
  await runner.start();
  const vm = { vcenterGuid: cfg.vcenterGuid, moref: cfg.vm };
  const { job } = runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid }, params: { vm, policyId: pol.id, trigger: 'manual' } });
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
