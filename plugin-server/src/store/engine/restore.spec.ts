import { createHash } from 'node:crypto';
import { FixedIndexBuilder } from './fixed-index.js';
import { dataRuns, restoreDisk, type ChunkSource } from './restore.js';

const never = new AbortController().signal;
const C = 64 * 1024 * 4; // four 64 KiB runs per chunk

function chunkOf(seed: number, zeroRuns: number[] = []): Uint8Array {
  const b = new Uint8Array(C).fill(seed);
  for (const r of zeroRuns) b.fill(0, r * 65536, (r + 1) * 65536);
  return b;
}

function setup(chunks: Array<Uint8Array | null>) {
  const index = FixedIndexBuilder.empty(chunks.length * C, C);
  const byHex = new Map<string, Uint8Array>();
  chunks.forEach((c, i) => {
    if (!c) return;
    const d = createHash('sha256').update(c).digest();
    byHex.set(d.toString('hex'), c);
    index.set(i, d);
  });
  const fetched: string[] = [];
  const source: ChunkSource = {
    read: async (digest, length, _signal, into) => {
      const hex = Buffer.from(digest).toString('hex');
      fetched.push(hex);
      const c = byHex.get(hex);
      if (!c) throw new Error(`missing ${hex}`);
      const out = into ?? new Uint8Array(length);
      out.set(c);
      return out.subarray(0, length);
    },
  };
  return { index, source, fetched };
}

describe('restore engine', () => {
  it('finds the data runs of a chunk in 64 KiB steps', () => {
    expect(dataRuns(chunkOf(1))).toEqual([[0, C]]);
    expect(dataRuns(chunkOf(1, [0, 1]))).toEqual([[2 * 65536, C]]);
    expect(dataRuns(chunkOf(1, [1]))).toEqual([[0, 65536], [2 * 65536, C]]);
    expect(dataRuns(new Uint8Array(C))).toEqual([]);
    expect(dataRuns(new Uint8Array(100).fill(3))).toEqual([[0, 100]]);
  });

  it('writes in ascending order, skips zeros when the target is sparse, and fetches a repeated chunk once per window', async () => {
    const a = chunkOf(1, [2]);
    const { index, source, fetched } = setup([a, null, chunkOf(2), a, a]);
    const writes: Array<[number, number]> = [];
    const stats = await restoreDisk({ index, source, writer: { write: async (o, d) => { writes.push([o, d.byteLength]); } }, signal: never, zeroSlots: 'skip', concurrency: 4 });
    expect(writes).toEqual([
      [0, 2 * 65536], [3 * 65536, 65536],
      [2 * C, C],
      [3 * C, 2 * 65536], [3 * C + 3 * 65536, 65536],
      [4 * C, 2 * 65536], [4 * C + 3 * 65536, 65536],
    ]);
    expect(fetched.length).toBe(2);
    expect(stats.zeroSlots).toBe(1);
  });

  it('writes every byte, zeros included, for a target that is not sparse', async () => {
    const { index, source } = setup([chunkOf(5, [0]), null]);
    const image = new Uint8Array(2 * C).fill(0xff);
    await restoreDisk({ index, source, writer: { write: async (o, d) => { image.set(d, o); } }, signal: never, zeroSlots: 'write' });
    expect(image.subarray(0, 65536).every((b) => b === 0)).toBe(true);
    expect(image.subarray(65536, C).every((b) => b === 5)).toBe(true);
    expect(image.subarray(C).every((b) => b === 0)).toBe(true);
  });

  it('fetches each distinct chunk once for a positional target and fills every slot naming it', async () => {
    const a = chunkOf(1, [2]);
    const b = chunkOf(2);
    const chunks = [a, null, b, a, null, a, b];
    const { index, source, fetched } = setup(chunks);
    const image = new Uint8Array(chunks.length * C).fill(0xee);
    const written: number[] = [];
    const writer = {
      positional: true,
      write: async (o: number, d: Uint8Array) => {
        written.push(o);
        await new Promise((r) => setTimeout(r, (o / 65536) % 3));
        image.set(d, o);
      },
    };
    const progress: number[] = [];
    const stats = await restoreDisk({ index, source, writer, signal: never, zeroSlots: 'skip', concurrency: 2, onProgress: (p) => progress.push(p.bytesDone) });
    expect(fetched.length).toBe(2);
    expect(stats).toEqual({ bytesWritten: 5 * C, zeroSlots: 2, chunksRead: 2 });
    chunks.forEach((c, i) => {
      const part = image.subarray(i * C, (i + 1) * C);
      // Zero slots and zero runs are skipped: what was there before stays (a new sparse file reads zeros).
      if (!c) expect(part.every((x) => x === 0xee)).withContext(`slot ${i}`).toBe(true);
      else for (let r = 0; r < 4; r++) {
        const run = part.subarray(r * 65536, (r + 1) * 65536);
        const want = c[r * 65536] === 0 ? 0xee : c[r * 65536];
        expect(run.every((x) => x === want)).withContext(`slot ${i} run ${r}`).toBe(true);
      }
    });
    expect(new Set(written).size).toBe(written.length);
    expect(progress[progress.length - 1]).toBe(chunks.length * C);
  });

  it('writes zero slots of a positional target that is not sparse', async () => {
    const { index, source } = setup([chunkOf(3), null, chunkOf(3, [1])]);
    const image = new Uint8Array(3 * C).fill(0xee);
    await restoreDisk({ index, source, writer: { positional: true, write: async (o, d) => { image.set(d, o); } }, signal: never, zeroSlots: 'write' });
    expect(image.subarray(C, 2 * C).every((x) => x === 0)).toBe(true);
    expect(image.subarray(2 * C + 65536, 2 * C + 2 * 65536).every((x) => x === 0)).toBe(true);
    expect(image.subarray(0, C).every((x) => x === 3)).toBe(true);
  });

  it('stops at a chunk that cannot be read and writes nothing after it', async () => {
    const { index, source } = setup([chunkOf(1), chunkOf(2), chunkOf(3)]);
    index.set(1, createHash('sha256').update('not there').digest());
    const writes: number[] = [];
    await expectAsync(restoreDisk({ index, source, writer: { write: async (o) => { writes.push(o); } }, signal: never, zeroSlots: 'skip' })).toBeRejectedWithError(/missing/);
    expect(writes).toEqual([0]);
  });
});
