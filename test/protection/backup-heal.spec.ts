// A damaged restore point heals through the backup pipeline: after verify finds a chunk of a VM's
// last point missing, the next backup (which CBT would make incremental) reads the disk in full,
// says so in the job log, writes the chunk again, and the damaged point restores whole.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackupResult } from '../../plugin-server/src/protection/index.js';
import { vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { digestHex } from '../../plugin-server/src/store/chunks/digest.js';
import { verifyRepository } from '../../plugin-server/src/store/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { backup, fillDisk, jobLog, MiB, never, openHarness, policy, restoreToFile, seeded, sha256File, writeDisk, type Harness } from './backup-fixture.js';

const DISK = 32 * MiB;

describe('backup pipeline: a damaged point heals', () => {
  let sim: Vcsim;
  let h: Harness;

  beforeAll(async () => {
    sim = await startVcsim({ vms: 2, disks: 1, diskSize: DISK });
    h = await openHarness(sim, 'backup-heal');
    h.policies.set('crash', policy('crash', { consistency: 'crash' }));
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });

  it('reads the disk in full after its last point was found damaged, and the damaged point restores whole', async () => {
    const vm = sim.vms[0];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator has no VM with a disk');
    const ref: VmRef = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    await fillDisk(disk.path, DISK, 9);
    const original = await sha256File(disk.path);

    const first = await backup(h, ref, 'crash');
    expect(first.state).withContext(jobLog(h, first.id)).toBe('succeeded');
    const p1 = (first.result as BackupResult).pointId;
    const second = await backup(h, ref, 'crash');
    expect(second.state).withContext(jobLog(h, second.id)).toBe('succeeded');
    const r2 = second.result as BackupResult;
    expect(r2.disks[0]?.mode).withContext('CBT works for this VM').toBe('incremental');

    // A chunk both points share goes missing; verify marks both damaged.
    const index = await h.repo.openIndex(p1, 2000, never);
    const hex = digestHex(index.digest(1));
    await rm(join(h.repo.dir, 'chunks', hex.slice(0, 2), hex));
    const found = await verifyRepository(h.repo, { signal: never });
    expect(found.problems.map((p) => [p.digest, p.problem, [...p.points].sort()])).toEqual([[hex, 'missing', [p1, r2.pointId].sort()]]);
    expect(h.repo.getPoint(r2.pointId).damaged).toBe(true);

    // A small change elsewhere: CBT alone would read one slot.
    await writeDisk(disk.path, 20 * MiB, seeded(31, 64 * 1024));
    const changed = await sha256File(disk.path);
    const third = await backup(h, ref, 'crash');
    const log = jobLog(h, third.id);
    expect(third.state).withContext(log).toBe('succeeded');
    const r3 = third.result as BackupResult;
    expect(r3.basePointId).toBe(r2.pointId);
    expect(r3.disks[0]?.mode).toBe('allocated');
    expect(log).toContain(`the previous restore point ${r2.pointId} is damaged`);
    expect(log).toMatch(/full read/);

    const healed = await verifyRepository(h.repo, { signal: never });
    expect(healed.problems).toEqual([]);
    expect(healed.healedPoints).toEqual([p1, r2.pointId].sort());
    expect(h.repo.listPoints({ vmId: vmKey(ref) }).map((p) => p.damaged)).toEqual([false, false, false]);
    expect(await restoreToFile(h.repo, p1, 2000, join(h.dir, 'p1.img'))).toBe(original);
    expect(await restoreToFile(h.repo, r2.pointId, 2000, join(h.dir, 'p2.img'))).toBe(original);
    expect(await restoreToFile(h.repo, r3.pointId, 2000, join(h.dir, 'p3.img'))).toBe(changed);
  }, 360_000);

  it('backs up a VM whose last point has a damaged manifest as if it were the first backup', async () => {
    const vm = sim.vms[1];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator has no second VM with a disk');
    const ref: VmRef = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    await fillDisk(disk.path, DISK, 11);
    const original = await sha256File(disk.path);
    const first = await backup(h, ref, 'crash');
    expect(first.state).withContext(jobLog(h, first.id)).toBe('succeeded');
    const p1 = (first.result as BackupResult).pointId;

    const manifest = join(h.repo.dir, 'points', p1, 'manifest');
    await chmod(manifest, 0o644);
    const bytes = await readFile(manifest);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(manifest, bytes);

    const second = await backup(h, ref, 'crash');
    const log = jobLog(h, second.id);
    expect(second.state).withContext(log).toBe('succeeded');
    const r2 = second.result as BackupResult;
    expect(r2.basePointId).toBeNull();
    expect(r2.disks[0]?.mode).toBe('allocated');
    expect(log).toContain(`the previous restore point ${p1} is damaged`);
    expect(await restoreToFile(h.repo, r2.pointId, 2000, join(h.dir, 'q2.img'))).toBe(original);
  }, 360_000);
});
