// The snapshot disk reader against the simulator's datastore: given a disk's allocated areas it
// fetches only those (several ranges of one chunk at once) and the chunk it returns holds exactly
// the disk's bytes, zeros included; a failed range fails the read only once no other range of
// the chunk still writes into the caller's buffer.
import { readFile } from 'node:fs/promises';
import { SnapshotDiskReader } from '../../plugin-server/src/protection/index.js';
import type { RangeReader } from '../../plugin-server/src/protection/index.js';
import { connectVcenter, type DatastoreFile, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { MiB, never, seeded, writeDisk } from './backup-fixture.js';

const KiB = 1024;
const CHUNK = 4 * MiB;

describe('SnapshotDiskReader', () => {
  let sim: Vcsim;
  let vc: Vcenter;
  let file: DatastoreFile;
  let path: string;
  let capacity: number;

  beforeAll(async () => {
    sim = await startVcsim({ vms: 1, disks: 1, diskSize: '16MiB' });
    const vm = sim.vms[0];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator made no disk');
    path = disk.path;
    capacity = disk.capacity;
    file = { datacenterPath: vm.datacenter, datastorePath: disk.flatFile };
    // Data in a few 64 KiB-aligned areas, as change tracking reports them; zeros elsewhere.
    await writeDisk(path, 0, seeded(1, 128 * KiB));
    await writeDisk(path, 1 * MiB, seeded(2, 64 * KiB)); // 1 MiB + 64 KiB … 1 MiB + 192 KiB stays zero: a gap read along
    await writeDisk(path, 1 * MiB + 192 * KiB, seeded(3, 64 * KiB));
    await writeDisk(path, 3 * MiB, seeded(4, 1 * MiB + 64 * KiB)); // crosses into the second chunk
    await writeDisk(path, 9 * MiB, seeded(5, 64 * KiB));
    vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
  }, 180_000);

  afterAll(async () => {
    vc?.close();
    await sim?.stop();
  });

  const allocated = [
    { start: 0, length: 128 * KiB },
    { start: 1 * MiB, length: 64 * KiB },
    { start: 1 * MiB + 192 * KiB, length: 64 * KiB },
    { start: 3 * MiB, length: 1 * MiB + 64 * KiB },
    { start: 9 * MiB, length: 64 * KiB },
  ];

  /** A buffer full of garbage, as a reused chunk buffer is. */
  const dirty = (n: number): Buffer => Buffer.alloc(n, 0xee);

  it('reads only the allocated areas and returns every chunk as the disk holds it', async () => {
    const disk = await readFile(path);
    const reader = new SnapshotDiskReader(vc, file, capacity, allocated);
    for (let off = 0; off < capacity; off += CHUNK) {
      const got = await reader.read(off, CHUNK, never, dirty(CHUNK));
      expect(Buffer.compare(got, disk.subarray(off, off + CHUNK))).withContext(`chunk at ${off}`).toBe(0);
    }
    // The areas, with the 128 KiB gap inside the second one's neighbourhood read along.
    expect(reader.bytesRead).toBe(128 * KiB + 256 * KiB + (1 * MiB + 64 * KiB) + 64 * KiB);
  });

  it('reads whole ranges without areas', async () => {
    const disk = await readFile(path);
    const reader = new SnapshotDiskReader(vc, file, capacity);
    const got = await reader.read(CHUNK, CHUNK, never, dirty(CHUNK));
    expect(Buffer.compare(got, disk.subarray(CHUNK, 2 * CHUNK))).toBe(0);
    expect(reader.bytesRead).toBe(CHUNK);
  });

  it('fails a read only after every range of it has stopped writing into the buffer', async () => {
    let slowDone = false;
    const failing: RangeReader = {
      readRangeInto: async (f, offset, target, signal) => {
        if (offset === 0) throw new Error('injected read failure');
        const n = await vc.readRangeInto(f, offset, target, signal);
        await new Promise((r) => setTimeout(r, 200));
        slowDone = true;
        return n;
      },
    };
    const reader = new SnapshotDiskReader(failing, file, capacity, allocated);
    await expectAsync(reader.read(0, CHUNK, never, dirty(CHUNK))).toBeRejectedWithError(/injected read failure/);
    expect(slowDone).toBeTrue();
  });

  it('stops the other ranges of a read once one has failed, and reports that failure', async () => {
    const stopped: string[] = [];
    const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
    const failing: RangeReader = {
      readRangeInto: async (f, offset, target, signal) => {
        if (offset === 0) {
          // Fails only once the others are under way.
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('injected read failure');
        }
        // A range that would run long: it ends early only when told to stop.
        const n = await vc.readRangeInto(f, offset, target, signal);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 10_000);
          signal?.addEventListener('abort', () => {
            clearTimeout(t);
            stopped.push(messageOf(signal.reason));
            resolve();
          }, { once: true });
        });
        signal?.throwIfAborted();
        return n;
      },
    };
    const reader = new SnapshotDiskReader(failing, file, capacity, allocated);
    await expectAsync(reader.read(0, CHUNK, never, dirty(CHUNK))).toBeRejectedWithError(/injected read failure/);
    // The chunk's other areas (1 MiB, 1 MiB + 192 KiB merged; 3 MiB) were told why.
    expect(stopped).toEqual(['injected read failure', 'injected read failure']);
  }, 120_000);
});
