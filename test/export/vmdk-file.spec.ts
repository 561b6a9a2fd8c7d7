// The stream-optimized VMDK writer on its own, judged by Debian's qemu-img: the file it writes is
// a VMDK of create type streamOptimized, of the disk's virtual size, with the same contents as the
// raw image the point was made from.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportFileName, exportStreamOptimizedVmdk, FileSink, namingChunkSource, openPointDisk, writeFileAtomically } from '../../plugin-server/src/export/index.js';
import { FileDiskWriter, restoreDisk } from '../../plugin-server/src/store/index.js';
import { tempDir } from '../store/store-fixtures.js';
import { addPoint, expectStreamOptimizedVmdkOf, IMAGE_SIZE, MiB, never, openRepository, pointImage, qemuImgCompare, qemuImgInfo, type PointImage } from './export-fixture.js';

describe('stream-optimized VMDK export (file)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let fixture: PointImage;

  beforeAll(async () => {
    dir = await tempDir('vmdk');
    fixture = await pointImage(dir.path, { vmId: 'vmdk-suite', vmName: 'vmdk suite' });
  });
  afterAll(async () => {
    await dir.remove();
  });

  const exportTo = async (pointId: string, disk: number, out: string) => {
    const repo = await openRepository(fixture.repoDir);
    try {
      const pd = await openPointDisk(repo, pointId, disk, never);
      return await writeFileAtomically(out, { overwrite: false, sync: false }, (fh) =>
        exportStreamOptimizedVmdk(pd, new FileSink(fh), { fileName: exportFileName('vmdk suite', pointId, disk, 'vmdk'), signal: never }),
      );
    } finally {
      await repo.close();
    }
  };

  it('writes a VMDK that qemu-img reads as streamOptimized with the image’s exact contents', async () => {
    const out = join(dir.path, 'disk0.vmdk');
    const stats = await exportTo(fixture.pointId, 0, out);
    await expectStreamOptimizedVmdkOf(out, fixture.imagePath);
    expect(stats.bytes % 512).toBe(0);
    // Zero grains are left out: the whole-zero chunk and the zero MiB regions cost nothing.
    expect(stats.grains).toBeLessThan(IMAGE_SIZE / (64 * 1024));
  });

  it('writes an all-zero disk and a disk whose size is not a whole number of grains', async () => {
    const zero = join(dir.path, 'zero.img');
    const odd = join(dir.path, 'odd.img');
    await writeFile(zero, Buffer.alloc(0));
    const { truncate } = await import('node:fs/promises');
    await truncate(zero, 3 * MiB);
    const oddBytes = Buffer.alloc(MiB + 3 * 512, 0x41);
    await writeFile(odd, oddBytes);
    const repo = await openRepository(fixture.repoDir);
    let pointId: string;
    try {
      pointId = await addPoint(repo, { vmId: 'vmdk-suite-2', vmName: 'two' }, [zero, odd]);
    } finally {
      await repo.close();
    }
    for (const [disk, image, size] of [[0, zero, 3 * MiB], [1, odd, MiB + 3 * 512]] as const) {
      const out = join(dir.path, `two-${disk}.vmdk`);
      await exportTo(pointId, disk, out);
      const info = await qemuImgInfo(out);
      expect(info['virtual-size']).toBe(size);
      const cmp = await qemuImgCompare(image, 'raw', out, 'vmdk');
      expect(cmp.code).withContext(cmp.output).toBe(0);
      // The raw restore to a file (as `lifeline repo restore` does it) on the same odd sizes: the file is the image.
      const raw = join(dir.path, `two-${disk}.raw`);
      const repo2 = await openRepository(fixture.repoDir);
      try {
        const pd = await openPointDisk(repo2, pointId, disk, never);
        await writeFileAtomically(raw, { overwrite: false, sync: false, size: pd.capacity }, async (fh, temp) => {
          const writer = await FileDiskWriter.attach(fh, temp);
          try {
            await restoreDisk({ index: pd.index, source: namingChunkSource(pd), writer, signal: never, zeroSlots: 'skip' });
          } finally {
            await writer.close(false);
          }
        });
      } finally {
        await repo2.close();
      }
      expect((await readFile(raw)).equals(await readFile(image))).withContext(`disk ${disk}`).toBe(true);
    }
  });
});
