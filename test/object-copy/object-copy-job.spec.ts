// The `object-copy` job kind on the job runner (real runner and state database, a real local store
// and its copy in a bucket of a throwaway Ceph cluster): which of a VM's points a policy's rule
// copies, and a clear failure, not a silent skip, where the server has no object storage for copies.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createJobRunner, isTerminal, type JobRecord, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock, vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/logger.js';
import { startObjectCopy, type ObjectCopies } from '../../plugin-server/src/object-copy/index.js';
import { initObjectCopy, openObjectCopy } from '../../plugin-server/src/store/object-copy.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { FAST_SCRYPT, ingestImage, MiB, never, TestClock, tempDir, writeImage } from '../store/store-fixtures.js';

const VM: VmRef = { vcenterGuid: 'vc-a', moref: 'vm-7' };
const PASS = 'object copy jobs';

async function ended(runner: JobRunner, id: string): Promise<JobRecord> {
  for (;;) {
    const job = runner.get(id);
    if (isTerminal(job.state)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the object-copy job', () => {
  const ceph = useCephCluster();
  let dir: { path: string; remove: () => Promise<void> };
  let db: Database.Database;
  let runner: JobRunner;
  let local: Repository;
  let copies: ObjectCopies | undefined;
  let bucketNo = 0;
  const clock = new TestClock(Date.UTC(2026, 10, 2, 12));

  beforeEach(async () => {
    dir = await tempDir('object-copy-job');
    await initRepository(join(dir.path, 'store'), { encrypt: true, passphrase: PASS, scrypt: FAST_SCRYPT, clock, chunkSize: MiB }, never);
    local = await Repository.open(join(dir.path, 'store'), { passphrase: PASS, clock }, never);
    db = new Database(join(dir.path, 'state.db'));
    runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 }, progressIntervalMs: 50 });
  });
  afterEach(async () => {
    await copies?.stop();
    copies = undefined;
    await runner.stop();
    db.close();
    await local.close();
    await dir.remove();
  });

  it("copies only the points the rule keeps as weekly ones, and a run again copies none of them twice", async () => {
    const { credentials } = ceph();
    const copyDir = join(dir.path, 'copy');
    await initObjectCopy(copyDir, local, ceph().location(`weekly-${++bucketNo}`), { passphrase: PASS, s3Credentials: credentials, scrypt: FAST_SCRYPT, clock }, never);
    copies = startObjectCopy({ runner, repository: local, openCopy: (sig) => openObjectCopy(copyDir, local, { s3Credentials: credentials }, sig), ruleOfBackup: () => null, logger: silentLogger });
    await runner.start();
    const image = join(dir.path, 'a.img');
    await writeImage(image, 2 * MiB, (i) => ({ kind: 'random', seed: i }));
    // Monday to Wednesday of one ISO week, then Monday of the next: the weekly rule keeps the
    // newest of each week.
    const ids: string[] = [];
    for (const day of [0, 1, 2, 7]) {
      clock.t = Date.UTC(2026, 10, 2 + day, 12);
      ids.push((await ingestImage(local, vmKey(VM), image, { retainDays: 1 })).point.id);
    }
    const rule = { points: 'weekly-monthly' as const, immutableDays: 90, weekly: 4, monthly: 0 };
    const job = await ended(runner, copies.enqueue({ vm: VM, pointId: ids[3]!, ...rule }).id);
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result).toEqual(jasmine.objectContaining({ pointsCopied: [ids[3], ids[2]], pointsHeld: 0, chunksSent: 2 }));
    expect(copies.copyOf(ids[2]!)).toEqual({ retainUntil: Date.UTC(2026, 10, 4, 12) + 90 * DAY_MS });
    expect(copies.copyOf(ids[0]!)).toBeNull();
    expect(copies.copyOf(ids[1]!)).toBeNull();

    const again = await ended(runner, copies.enqueue({ vm: VM, pointId: ids[3]!, ...rule }).id);
    expect(again.result).toEqual(jasmine.objectContaining({ pointsCopied: [], pointsHeld: 2, chunksSent: 0 }));
  });

  it("does not hold up the VM's backups while it copies", async () => {
    let release = (): void => undefined;
    const opening = new Promise<never>((_, reject) => {
      release = () => reject(new Error('released by the spec'));
    });
    copies = startObjectCopy({ runner, repository: local, openCopy: () => opening, ruleOfBackup: () => null, logger: silentLogger });
    runner.register('backup', { run: async () => ({}) });
    await runner.start();
    const copy = copies.enqueue({ vm: VM, pointId: '20261102-120000-00000000', points: 'all', immutableDays: 30, weekly: 0, monthly: 0 });
    while (runner.get(copy.id).state !== 'running') await new Promise((r) => setTimeout(r, 10));
    // The copy is still opening its bucket; a backup of the same VM is taken at once.
    const backup = runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: VM.moref, vcenterGuid: VM.vcenterGuid }, params: null }).job;
    expect((await ended(runner, backup.id)).state).toBe('succeeded');
    expect(runner.get(copy.id).state).toBe('running');
    runner.cancel(copy.id);
    release();
    expect((await ended(runner, copy.id)).state).toBe('cancelled');
  });

  it('fails, without retrying, where the server has no object storage for copies', async () => {
    copies = startObjectCopy({ runner, repository: local, openCopy: null, ruleOfBackup: () => null, logger: silentLogger });
    await runner.start();
    const job = await ended(runner, copies.enqueue({ vm: VM, pointId: '20261102-120000-00000000', points: 'all', immutableDays: 30, weekly: 0, monthly: 0 }).id);
    expect(job.state).toBe('failed');
    expect(job.attempt).toBe(1);
    expect(job.error).toEqual(jasmine.objectContaining({ code: 'object-copy-not-configured', message: jasmine.stringMatching(/copyS3/) }));
  });
});
