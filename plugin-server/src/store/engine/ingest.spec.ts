import { createHash } from 'node:crypto';
import type { AddedChunk } from '../chunks/chunk-store.js';
import { FixedIndexBuilder } from './fixed-index.js';
import { ingestDisk, slotsToRead, type ChunkAdder, type DiskAreaReader } from './ingest.js';

const never = new AbortController().signal;
const C = 1024; // a small chunk size keeps these tests cheap

function disk(capacity: number, byte: (i: number) => number): { reader: DiskAreaReader; reads: Array<[number, number]> } {
  const bytes = Uint8Array.from({ length: capacity }, (_, i) => byte(i));
  const reads: Array<[number, number]> = [];
  return {
    reads,
    reader: {
      read: async (offset, length, _signal, into) => {
        reads.push([offset, length]);
        const out = into ?? new Uint8Array(length);
        out.set(bytes.subarray(offset, offset + length));
        return out.subarray(0, length);
      },
    },
  };
}

/** Stands in for the chunk store: SHA-256 ids, zero sentinel, remembers what it holds. */
function adder(): ChunkAdder & { stored: Set<string> } {
  const stored = new Set<string>();
  return {
    stored,
    addChunk: async (data, known): Promise<AddedChunk> => {
      if (data.every((b) => b === 0)) return { digest: new Uint8Array(32), outcome: 'zero', storedBytes: 0 };
      const digest = createHash('sha256').update(data).digest();
      if (known && Buffer.compare(known, digest) === 0) return { digest, outcome: 'known', storedBytes: 0 };
      const hex = digest.toString('hex');
      if (stored.has(hex)) return { digest, outcome: 'existing', storedBytes: 0 };
      stored.add(hex);
      return { digest, outcome: 'new', storedBytes: data.byteLength };
    },
  };
}

describe('ingest engine', () => {
  it('maps changed areas to the aligned slots they touch', () => {
    expect(slotsToRead(10 * C, C, undefined)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slotsToRead(10 * C, C, [])).toEqual([]);
    expect(slotsToRead(10 * C, C, [{ start: C - 1, length: 2 }])).toEqual([0, 1]);
    expect(slotsToRead(10 * C, C, [{ start: 3 * C, length: C }, { start: 3 * C + 5, length: 1 }, { start: 0, length: 0 }])).toEqual([3]);
    expect(slotsToRead(10 * C + 7, C, [{ start: 10 * C, length: 100 }])).toEqual([10]);
    expect(() => slotsToRead(10 * C, C, [{ start: -1, length: 1 }])).toThrowError(RangeError);
  });

  it('reads every slot of a full ingest, the short last one too, and stores zeros and repeats once', async () => {
    const cap = 5 * C + 100;
    // slot 0 zeros, 1 and 3 equal, 2 distinct, 4 distinct, 5 (short) distinct
    const { reader, reads } = disk(cap, (i) => (i < C ? 0 : [0, 7, 9, 7, 11, 13][Math.floor(i / C)] ?? 1));
    const index = FixedIndexBuilder.empty(cap, C);
    const a = adder();
    const stats = await ingestDisk({ reader, adder: a, index, hints: undefined, areas: undefined, signal: never, concurrency: 3 });
    expect(reads.sort((x, y) => x[0] - y[0])).toEqual([[0, C], [C, C], [2 * C, C], [3 * C, C], [4 * C, C], [5 * C, 100]]);
    expect(stats).toEqual({ slotsRead: 6, bytesRead: cap, zeroChunks: 1, unchangedChunks: 0, existingChunks: 1, newChunks: 4, newStoredBytes: 3 * C + 100 });
    expect(Buffer.compare(index.digest(1), index.digest(3))).toBe(0);
    expect(index.digest(0).every((b) => b === 0)).toBe(true);
  });

  it('re-reads only changed slots of an incremental ingest and recognises unchanged ones from hints', async () => {
    const cap = 8 * C;
    const first = disk(cap, (i) => (i % 251) + 1);
    const base = FixedIndexBuilder.empty(cap, C);
    const a = adder();
    await ingestDisk({ reader: first.reader, adder: a, index: base, hints: undefined, areas: undefined, signal: never });

    const second = disk(cap, (i) => (i >= 5 * C + 10 && i < 5 * C + 20 ? 0xee : (i % 251) + 1));
    const next = FixedIndexBuilder.fromBase(base, cap);
    const stats = await ingestDisk({ reader: second.reader, adder: a, index: next, hints: base, areas: [{ start: 5 * C + 10, length: 10 }], signal: never });
    expect(second.reads).toEqual([[5 * C, C]]);
    expect(stats.newChunks).toBe(1);
    for (let s = 0; s < 8; s++) expect(Buffer.compare(next.digest(s), base.digest(s)) === 0).withContext(`slot ${s}`).toBe(s !== 5);

    // A full re-read with hints finds every chunk known without asking anything else.
    const third = FixedIndexBuilder.empty(cap, C);
    const again = await ingestDisk({ reader: second.reader, adder: a, index: third, hints: next, areas: undefined, signal: never });
    expect(again.unchangedChunks).toBe(8);
  });

  it('stops at the first failure and lets no read outlive the call', async () => {
    const cap = 16 * C;
    let inFlight = 0;
    let maxInFlight = 0;
    const reader: DiskAreaReader = {
      read: async (offset, length) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        if (offset === 6 * C) throw new Error('read error at slot 6');
        return new Uint8Array(length).fill(1);
      },
    };
    const index = FixedIndexBuilder.empty(cap, C);
    await expectAsync(ingestDisk({ reader, adder: adder(), index, hints: undefined, areas: undefined, signal: never, concurrency: 4 })).toBeRejectedWithError(/slot 6/);
    expect(inFlight).toBe(0);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });
});
