// `lifeline repo restore` writing a restore point's disk to a file through the compiled CLI, as an
// administrator runs it: a sparse raw image by default, a stream-optimized VMDK on request, the
// file appearing only once complete, and a damaged point failing with the chunk named and no file
// (not even a partial one) left behind.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lifeline } from '../store/cli-process.js';
import { tempDir } from '../store/store-fixtures.js';
import { corruptSlot, expectStreamOptimizedVmdkOf, IMAGE_SIZE, openRepository, PASSPHRASE, pointImage, qemuImgInfo, type PointImage } from './export-fixture.js';

describe('lifeline repo restore --format raw|vmdk', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let fixture: PointImage;
  const env = { LIFELINE_PASSPHRASE: PASSPHRASE };
  const restore = (out: string, ...extra: string[]) =>
    lifeline(['repo', 'restore', '--repo', fixture.repoDir, '--point', fixture.pointId, '--disk', '0', '--out', out, ...extra], env);
  const leftovers = async () => (await readdir(dir.path)).filter((n) => n.endsWith('.partial'));

  beforeAll(async () => {
    dir = await tempDir('export-cli');
    fixture = await pointImage(dir.path, { vmId: 'cli-vm', vmName: 'cli vm' });
  }, 180_000);
  afterAll(async () => {
    await dir.remove();
  });

  it('writes a sparse raw image by default, byte for byte the backed-up image', async () => {
    const out = join(dir.path, 'disk0.raw');
    const r = await restore(out);
    expect(r.code).withContext(r.stderr).toBe(0);
    expect(r.stdout).toContain('a raw image');
    expect((await readFile(out)).equals(fixture.image)).toBe(true);
    const st = await stat(out);
    expect(st.size).toBe(IMAGE_SIZE);
    // The zero chunk and the zero MiB regions are holes.
    expect(st.blocks * 512).toBeLessThan(IMAGE_SIZE - 4 * 1024 * 1024);
    expect(await leftovers()).toEqual([]);
  });

  it('writes a stream-optimized VMDK that qemu-img reads back to the image', async () => {
    const out = join(dir.path, 'disk0.vmdk');
    const r = await restore(out, '--format', 'vmdk', '--sync');
    expect(r.code).withContext(r.stderr).toBe(0);
    expect(r.stdout).toContain('stream-optimized VMDK');
    await expectStreamOptimizedVmdkOf(out, fixture.imagePath);
  });

  it('leaves an existing file alone unless told to overwrite it', async () => {
    const out = join(dir.path, 'existing.vmdk');
    await writeFile(out, 'keep me');
    const refused = await restore(out, '--format', 'vmdk');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('exists; give --overwrite');
    expect(await readFile(out, 'utf8')).toBe('keep me');
    const replaced = await restore(out, '--format', 'vmdk', '--overwrite');
    expect(replaced.code).withContext(replaced.stderr).toBe(0);
    expect((await qemuImgInfo(out))['virtual-size']).toBe(IMAGE_SIZE);
  });

  it('refuses an unknown format', async () => {
    const r = await restore(join(dir.path, 'x.qcow2'), '--format', 'qcow2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('qcow2');
  });

  it('fails on a damaged point naming the chunk and the point, and leaves no file behind', async () => {
    const repo = await openRepository(fixture.repoDir);
    let bad: Awaited<ReturnType<typeof corruptSlot>>;
    try {
      bad = await corruptSlot(repo, fixture.pointId, 0, 9);
    } finally {
      await repo.close();
    }
    try {
      for (const format of ['vmdk', 'raw']) {
        const out = join(dir.path, `damaged.${format}`);
        const r = await restore(out, '--format', format);
        expect(r.code).withContext(format).toBe(1);
        expect(r.stderr).toContain(bad.hex);
        expect(r.stderr).toContain(fixture.pointId);
        expect(r.stderr).toContain('[chunk-corrupt]');
        await expectAsync(stat(out)).withContext(format).toBeRejected();
        expect(await leftovers()).toEqual([]);
      }
    } finally {
      const again = await openRepository(fixture.repoDir);
      try {
        await bad.undo(again);
        expect(again.getPoint(fixture.pointId).damaged).toBe(false);
      } finally {
        await again.close();
      }
    }
  });
});
