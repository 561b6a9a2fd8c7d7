// The restore engine against the vCenter simulator and a real repository: a backed-up disk is
// uploaded to a datastore as a flat VMDK whose bytes equal the bytes backed up; a damaged chunk
// stops the restore naming the chunk and the point; an upload cut halfway leaves no file behind.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackupResult } from '../../plugin-server/src/protection/index.js';
import { vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { deleteIfPresent, restoreDiskToDatastore, RecoveryError, type DiskTarget } from '../../plugin-server/src/recovery/index.js';
import { isLifelineError } from '../../plugin-server/src/errors/index.js';
import { startVcsim, type Vcsim, type VcsimVm } from '../vcsim/harness.js';
import { backup, fillDisk, jobLog, MiB, never, openHarness, policy, sha256File, type Harness } from '../protection/backup-fixture.js';

const DISK = 64 * MiB;

describe('restore engine (datastore upload)', () => {
  let sim: Vcsim;
  let h: Harness;
  let vm: VcsimVm;
  let pointId: string;
  let original: string;
  let datacenter: { moref: string; path: string };
  const dsDir = (): string => sim.datastores[0]?.dir ?? '';
  const target = (folder: string, name = 'disk'): DiskTarget => ({ datacenter, descriptor: `[LocalDS_0] ${folder}/${name}.vmdk` });

  beforeAll(async () => {
    sim = await startVcsim({ vms: 1, disks: 1, diskSize: DISK });
    h = await openHarness(sim, 'restore-engine');
    h.policies.set('crash', policy('crash', { consistency: 'crash' }));
    vm = sim.vms[0] as VcsimVm;
    const disk = vm.disks[0];
    if (!disk) throw new Error('no disk');
    await fillDisk(disk.path, DISK, 7);
    original = await sha256File(disk.path);
    const ref: VmRef = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const job = await backup(h, ref, 'crash');
    expect(job.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    pointId = (job.result as BackupResult).pointId;
    expect(h.repo.latestPoint(vmKey(ref))?.id).toBe(pointId);
    const info = await h.vc.getVm(vm.moref);
    if (!info.datacenter) throw new Error('VM without datacenter');
    datacenter = { moref: info.datacenter.moref, path: info.datacenter.path };
  }, 360_000);

  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });

  afterEach(async () => {
    h.faulty.clear();
    await sim.clearFaults();
  });

  it('uploads a point disk as descriptor and flat file whose bytes equal the bytes backed up', async () => {
    await h.vc.makeDirectory(datacenter.moref, '[LocalDS_0] engine-ok');
    const seen: number[] = [];
    const r = await restoreDiskToDatastore({
      repository: h.repo,
      vcenter: h.vc,
      pointId,
      disk: 2000,
      target: target('engine-ok'),
      signal: never,
      onProgress: (p) => seen.push(p.bytesDone),
    });
    expect(r.capacity).toBe(DISK);
    expect(r.flat).toBe('[LocalDS_0] engine-ok/disk-flat.vmdk');
    expect(await sha256File(join(dsDir(), 'engine-ok', 'disk-flat.vmdk'))).toBe(original);
    const descriptor = await readFile(join(dsDir(), 'engine-ok', 'disk.vmdk'), 'utf8');
    expect(descriptor).toContain(`RW ${DISK / 512} VMFS "disk-flat.vmdk"`);
    // Every fourth MiB of the filled disk is zeros: whole zero chunks are not fetched.
    expect(r.stats.chunksRead).toBeLessThanOrEqual(DISK / (4 * MiB));
    expect(seen[seen.length - 1]).toBe(DISK);
    await deleteIfPresent(h.vc, datacenter.moref, ['[LocalDS_0] engine-ok'], never);
  });

  it('stops at a damaged chunk, naming the chunk and the point, and leaves nothing on the datastore', async () => {
    await h.vc.makeDirectory(datacenter.moref, '[LocalDS_0] engine-corrupt');
    // A chunk in the middle of the disk is damaged in the repository's storage.
    const index = await h.repo.openIndex(pointId, 2000, never);
    const damaged = Buffer.from(index.digest(9)).toString('hex');
    expect(damaged).not.toMatch(/^0+$/);
    h.faulty.inject({ op: 'get', match: new RegExp(`^chunks/../${damaged}$`), corrupt: true });
    const err: unknown = await restoreDiskToDatastore({ repository: h.repo, vcenter: h.vc, pointId, disk: 2000, target: target('engine-corrupt'), signal: never }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecoveryError);
    const e = err as RecoveryError;
    expect(e.code).toBe('restore-chunk-corrupt');
    expect(e.message).toContain(pointId);
    expect(e.details['chunk']).toBe(damaged);
    expect(e.message).toContain(damaged);
    expect(await readdir(join(dsDir(), 'engine-corrupt'))).toEqual([]);
    await deleteIfPresent(h.vc, datacenter.moref, ['[LocalDS_0] engine-corrupt'], never);
  });

  it('deletes the partial data file when the restore is cancelled halfway', async () => {
    await h.vc.makeDirectory(datacenter.moref, '[LocalDS_0] engine-cancel');
    const cancel = new AbortController();
    const err: unknown = await restoreDiskToDatastore({
      repository: h.repo,
      vcenter: h.vc,
      pointId,
      disk: 2000,
      target: target('engine-cancel'),
      signal: cancel.signal,
      onProgress: (p) => {
        if (p.bytesDone >= DISK / 2) cancel.abort(new Error('cancelled by the test'));
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(cancel.signal.aborted).toBe(true);
    expect(await readdir(join(dsDir(), 'engine-cancel'))).toEqual([]);
    await deleteIfPresent(h.vc, datacenter.moref, ['[LocalDS_0] engine-cancel'], never);
  });

  it('deletes the partial data file when the upload is cut halfway', async () => {
    await h.vc.makeDirectory(datacenter.moref, '[LocalDS_0] engine-cut');
    await sim.injectFault({ method: 'HTTP PUT', afterBytes: DISK / 2, moref: 'disk-flat.vmdk' });
    const err: unknown = await restoreDiskToDatastore({ repository: h.repo, vcenter: h.vc, pointId, disk: 2000, target: target('engine-cut'), signal: never }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isLifelineError(err)).withContext(String(err)).toBe(true);
    expect((err as RecoveryError).code).toBe('restore-upload-failed');
    expect(existsSync(join(dsDir(), 'engine-cut', 'disk-flat.vmdk'))).toBe(false);
    expect(await readdir(join(dsDir(), 'engine-cut'))).toEqual([]);
    await deleteIfPresent(h.vc, datacenter.moref, ['[LocalDS_0] engine-cut'], never);
  });
});
