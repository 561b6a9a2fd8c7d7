// Lifeline killed (SIGKILL) while a VM runs from one of its restore points, then restarted: the
// NFS server in a child process publishes the point and runs the instant revert; the guest writes
// through NFS into the publication's overlay; after the kill the VM's disk cannot be read (ESXi
// would see the datastore inaccessible and hold the I/O); after the restart on the same address
// the export serves the same bytes, the overlay's writes included, and the instant revert is still
// on record. The server listens on 127.0.0.4 (its portmapper on 111 collides with no other suite's).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InstantStore } from '../../plugin-server/src/instant/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { MiB } from '../protection/backup-fixture.js';
import { backUpEveryVm, recoverySuite, type RecoveryHarness } from '../recovery/recovery-fixture.js';

const DISK = 16 * MiB;
const NFS_HOST = '127.0.0.4';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('instant revert: Lifeline killed while the VM runs from it', () => {
  const suite = recoverySuite({ vms: 1, disks: 1, diskSize: DISK }, 'instant-kill');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let points: Map<string, string>;
  let backedUp: Map<string, string[]>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ sim, h } = suite);
    ({ points, backedUp } = await backUpEveryVm(h, sim, DISK, { backedUp: 900, current: 950 }));
  }, 540_000);
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  const start = async (vm: VcsimVm, port: number, revert: boolean): Promise<{ child: ChildProcess; port: number }> => {
    const cfg = {
      url: sim.url,
      thumbprint: sim.thumbprint,
      user: sim.username,
      password: sim.password,
      repoDir: join(h.dir, 'repo'),
      dataDir: join(h.dir, 'data'),
      host: NFS_HOST,
      port,
      vcenterGuid: sim.instanceUuid,
      vm: vm.moref,
      pointId: points.get(vm.moref)!,
      revert,
      datastoreName: 'lifeline-kill-spec',
    };
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'instant-child.js'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    return { child, port: (JSON.parse(line) as { port: number }).port };
  };

  /** The NFS datastore's accessibility, once it is `until` (or after 30 s, whatever it is then). */
  const accessible = async (until?: boolean): Promise<boolean | undefined> => {
    for (let i = 0; ; i++) {
      const ds = (await h.vc.nasDatastores()).find((d) => d.name === 'lifeline-kill-spec');
      const now = ds?.mounts.every((m) => m.accessible);
      if (until === undefined || now === until || i >= 150) return now;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('serves the same bytes, the overlay’s writes included, after a SIGKILL and a restart', async () => {
    const vm = sim.vms[0]!;
    const first = await start(vm, 0, true);
    const disk = (await h.vc.getVm(vm.moref)).disks[0]!;
    expect(disk.fileName).toMatch(/^\[lifeline-kill-spec\] /);
    expect(sha(await sim.readDisk(vm.moref, disk.key, 0, DISK))).toBe(backedUp.get(vm.moref)![0]!);
    await sim.writeDisk(vm.moref, disk.key, 3 * MiB + 5, Buffer.alloc(200_000, 0x7e));
    const expected = await sim.readDisk(vm.moref, disk.key, 0, DISK);

    expect(await accessible()).toBeTrue();

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await expectAsync(sim.readDisk(vm.moref, disk.key, 0, 4096)).withContext('no NFS server: the disk cannot be read').toBeRejected();
    expect(await accessible(false)).withContext('the datastore turns inaccessible').toBeFalse();

    await start(vm, first.port, false);
    expect(await accessible(true)).withContext('and accessible again').toBeTrue();
    const again = await sim.readDisk(vm.moref, disk.key, 0, DISK);
    expect(sha(again)).withContext('the same bytes, the overlay’s writes included').toBe(sha(expected));
    expect(again.subarray(3 * MiB + 5, 3 * MiB + 5 + 200_000).every((b) => b === 0x7e)).toBeTrue();
    const rec = (await InstantStore.open(join(h.dir, 'data'))).list();
    expect(rec.map((r) => [r.vm.moref, r.state])).toEqual([[vm.moref, 'running']]);
  });
});
