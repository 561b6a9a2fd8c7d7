/**
 * What the export suites share: an encrypted repository holding one restore point made from a
 * real disk image file, the image's bytes to compare exports with, corruption of the chunk file
 * behind a slot, and Debian's qemu-img to judge VMDK files by.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { FileDiskReader, initRepository, PointWriter, Repository, verifyRepository } from '../../plugin-server/src/store/index.js';
import type { SimUser, VcenterServer } from '../server/vcenter-server-fixture.js';
import { FAST_SCRYPT, MiB, never, writeImage, type Region } from '../store/store-fixtures.js';

export { MiB, never };

const run = promisify(execFile);

export const PASSPHRASE = 'export suite passphrase';

/** The export suites' users besides the administrator: vCenter's default read privileges only, and Restore on VM 0. */
export const VIEWER: SimUser = { username: 'viewer@vsphere.local', password: 'Viewer-1!' };
export const RESTORER: SimUser = { username: 'restorer@vsphere.local', password: 'Restorer-1!', vmPrivileges: { 0: [PRIVILEGES.restore] } };

/** Sessions of the administrator, VIEWER and RESTORER on a server started with those users. */
export async function loginExportUsers(fx: VcenterServer): Promise<{ admin: string; viewer: string; restorer: string }> {
  return { admin: await fx.login(), viewer: await fx.login(VIEWER.username, VIEWER.password), restorer: await fx.login(RESTORER.username, RESTORER.password) };
}

export interface PointImage {
  readonly repoDir: string;
  readonly imagePath: string;
  readonly image: Buffer;
  readonly pointId: string;
}

/**
 * 40 MiB + 64 KiB over 4 MiB chunks: random, text, zeros (a whole zero chunk and holes inside
 * chunks), a repeated block, and a last chunk of one 64 KiB grain — every kind of slot an export
 * meets. Every chunk but the zero one (slot 4) holds data.
 */
export const IMAGE_SIZE = 40 * MiB + 64 * 1024;
export function imageRegion(i: number): Region {
  if (i >= 16 && i < 20) return { kind: 'zero' };
  if (i % 5 === 2) return { kind: 'zero' };
  if (i % 5 === 3) return { kind: 'text' };
  if (i === 33) return { kind: 'random', seed: 7 };
  return { kind: 'random', seed: 100 + i };
}

export interface PointSpecOptions {
  readonly vmId: string;
  readonly vmName: string;
  readonly config?: Record<string, unknown>;
  readonly createdAt?: number;
  readonly retainUntil?: number;
  readonly consistency?: 'crash' | 'application';
}

export async function createRepository(repoDir: string): Promise<void> {
  await initRepository(repoDir, { encrypt: true, passphrase: PASSPHRASE, scrypt: FAST_SCRYPT }, never);
}

export function openRepository(repoDir: string): Promise<Repository> {
  return Repository.open(repoDir, { passphrase: PASSPHRASE, codecThreads: 2 }, never);
}

/** Adds a restore point of `images` (disk i = images[i]) and returns its id. */
export async function addPoint(repo: Repository, spec: PointSpecOptions, images: readonly string[]): Promise<string> {
  const writer = await PointWriter.begin(
    repo,
    {
      vm: { id: spec.vmId, name: spec.vmName, config: spec.config ?? {} },
      consistency: spec.consistency ?? 'crash',
      ...(spec.createdAt !== undefined ? { createdAt: spec.createdAt } : {}),
      ...(spec.retainUntil !== undefined ? { retainUntil: spec.retainUntil } : {}),
      base: null,
    },
    never,
  );
  try {
    for (const [disk, path] of images.entries()) {
      const reader = await FileDiskReader.open(path);
      try {
        await writer.ingestDisk({ disk, capacity: reader.capacity, reader, label: `Hard disk ${disk + 1}` }, never);
      } finally {
        await reader.close();
      }
    }
    return (await writer.commit(never)).id;
  } catch (err) {
    await writer.abort(never);
    throw err;
  }
}

/** A repository in `dir` with one point of the standard image as disk 0. */
export async function pointImage(dir: string, spec: PointSpecOptions): Promise<PointImage> {
  const repoDir = join(dir, 'repo');
  const imagePath = join(dir, 'disk0.img');
  await writeImage(imagePath, IMAGE_SIZE, imageRegion);
  await createRepository(repoDir);
  const repo = await openRepository(repoDir);
  try {
    const pointId = await addPoint(repo, spec, [imagePath]);
    return { repoDir, imagePath, image: await readFile(imagePath), pointId };
  } finally {
    await repo.close();
  }
}

/** Flips a byte in the middle of the chunk file behind a slot; returns the chunk's id. */
export async function corruptSlot(
  repo: Repository,
  pointId: string,
  disk: number,
  slot: number,
): Promise<{ hex: string; undo: (open?: Repository) => Promise<void> }> {
  const index = await repo.openIndex(pointId, disk, never);
  const hex = Buffer.from(index.digest(slot)).toString('hex');
  const path = join(repo.dir, 'chunks', hex.slice(0, 2), hex);
  await chmod(path, 0o644);
  const original = await readFile(path);
  const bytes = Buffer.from(original);
  const at = Math.floor(bytes.byteLength / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x5a;
  await writeFile(path, bytes);
  // Mended as an administrator would: the chunk back, then a verify that finds the point whole
  // again and clears the damage that reading it recorded (through `open` when `repo` is closed).
  const undo = async (open: Repository = repo): Promise<void> => {
    await writeFile(path, original);
    await verifyRepository(open, { signal: never });
  };
  return { hex, undo };
}

export interface QemuImgInfo {
  format: string;
  'virtual-size': number;
  'format-specific'?: { type: string; data: { 'create-type'?: string; extents?: Array<{ compressed?: boolean }> } };
}

export async function qemuImgInfo(path: string): Promise<QemuImgInfo> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', path]);
  return JSON.parse(stdout) as QemuImgInfo;
}

/** Expects `file` to be a stream-optimized VMDK of the standard image's size that qemu-img reads back to the raw `image`'s contents. */
export async function expectStreamOptimizedVmdkOf(file: string, image: string): Promise<void> {
  const info = await qemuImgInfo(file);
  expect(info.format).toBe('vmdk');
  expect(info['virtual-size']).toBe(IMAGE_SIZE);
  expect(info['format-specific']?.data['create-type']).toBe('streamOptimized');
  const cmp = await qemuImgCompare(image, 'raw', file, 'vmdk');
  expect(cmp.code).withContext(cmp.output).toBe(0);
}

/** Runs `qemu-img compare`; exit code 0 means identical contents. */
export async function qemuImgCompare(a: string, aFormat: string, b: string, bFormat: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('qemu-img', ['compare', '-f', aFormat, '-F', bFormat, a, b]);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
