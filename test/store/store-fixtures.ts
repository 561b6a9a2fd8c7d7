/**
 * Shared fixtures for the repository suites: disk images with known content, temporary
 * directories, a settable clock, and fast key-derivation parameters (the real ones cost 0.4 s a
 * derivation, which adds nothing to what these suites prove).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consistency, PointRow } from '../../plugin-server/src/catalog/index.js';
import { FileDiskReader, FileDiskWriter } from '../../plugin-server/src/store/engine/file-disk.js';
import type { ScryptParams } from '../../plugin-server/src/store/keys.js';
import { PointWriter, type DiskResult, type DiskSource, type PointSpec } from '../../plugin-server/src/store/engine/point-writer.js';
import { DAY_MS, type Repository } from '../../plugin-server/src/store/repository.js';
import { restoreDisk } from '../../plugin-server/src/store/engine/restore.js';

export const MiB = 1024 * 1024;
export const FAST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };
export const never = new AbortController().signal;

export class TestClock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export async function tempDir(label: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `lifeline-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (AES-CTR keystream) for a seed. */
export function pseudoRandom(seed: number, n: number): Buffer {
  const key = createHash('sha256').update(`seed ${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

export type Region = { kind: 'zero' } | { kind: 'random'; seed: number } | { kind: 'text' } | { kind: 'fill'; byte: number };

/**
 * Writes an image made of 1 MiB regions (the last may be cut short by `size`), leaving zero
 * regions as holes. Returns the image's SHA-256.
 */
export async function writeImage(path: string, size: number, region: (i: number) => Region): Promise<string> {
  const fh = await open(path, 'w');
  const hash = createHash('sha256');
  try {
    await fh.truncate(size);
    for (let i = 0; i * MiB < size; i++) {
      const len = Math.min(MiB, size - i * MiB);
      const r = region(i);
      let block: Buffer;
      if (r.kind === 'zero') block = Buffer.alloc(len);
      else if (r.kind === 'random') block = pseudoRandom(r.seed, len);
      else if (r.kind === 'fill') block = Buffer.alloc(len, r.byte);
      else block = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(Math.ceil(len / 45)).slice(0, len));
      hash.update(block);
      if (r.kind !== 'zero') await fh.write(block, 0, len, i * MiB);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Overwrites bytes of an existing file in place. */
export async function patchFile(path: string, offset: number, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.byteLength, offset);
  } finally {
    await fh.close();
  }
}

export interface IngestImageOptions {
  /** The VM's display name; default its id. */
  name?: string;
  consistency?: Consistency;
  /** Retention in days from the repository's clock; default the repository's default. */
  retainDays?: number;
  base?: PointSpec['base'];
  changed?: DiskSource['changed'];
}

/** Backs up an image file as disk 0 of a new restore point of `vm`; a failed ingest is aborted. */
export async function ingestImage(repo: Repository, vm: string, file: string, opts: IngestImageOptions = {}): Promise<{ point: PointRow; result: DiskResult }> {
  const reader = await FileDiskReader.open(file);
  try {
    const createdAt = repo.now();
    const retainUntil = opts.retainDays === undefined ? undefined : createdAt + opts.retainDays * DAY_MS;
    const spec: PointSpec = { vm: { id: vm, name: opts.name ?? vm }, consistency: opts.consistency ?? 'crash', createdAt, retainUntil, base: opts.base };
    const w = await PointWriter.begin(repo, spec, never);
    try {
      const result = await w.ingestDisk({ disk: 0, capacity: reader.capacity, reader, changed: opts.changed }, never);
      return { point: await w.commit(never), result };
    } catch (err) {
      await w.abort(never);
      throw err;
    }
  } finally {
    await reader.close();
  }
}

/** Restores one disk of a restore point to a new sparse file. */
export async function restoreImage(repo: Repository, pointId: string, out: string, disk = 0): Promise<void> {
  const index = await repo.openIndex(pointId, disk, never);
  const writer = await FileDiskWriter.create(out, index.capacity);
  try {
    await restoreDisk({ index, source: repo.chunks(), writer, signal: never, zeroSlots: 'skip' });
  } finally {
    await writer.close(false);
  }
}

/** The SHA-256 of one disk of a restore point, restored to `out` (removed afterwards). */
export async function restoredSha(repo: Repository, pointId: string, out: string, disk = 0): Promise<string> {
  await restoreImage(repo, pointId, out, disk);
  const sum = await sha256File(out);
  await rm(out);
  return sum;
}
