import { CorruptChunkError } from '../store/index.js';
import type { ChunkSource, IndexView } from '../store/index.js';
import { readSlots, type PointDisk } from './disk-chunks.js';
import { ExportError } from './export-error.js';

const never = new AbortController().signal;
const CHUNK = 1024;

/** An index of `slots` chunks; slot i's digest is i + 1 in its first byte, or zeros for a zero slot. */
function index(slots: number, zero: (i: number) => boolean = () => false, capacity = slots * CHUNK): IndexView {
  return {
    capacity,
    chunkSize: CHUNK,
    slots,
    digest: (i) => {
      const d = new Uint8Array(32);
      if (!zero(i)) d[0] = i + 1;
      return d;
    },
    slotLength: (i) => Math.min(CHUNK, capacity - i * CHUNK),
  };
}

/** Chunks whose bytes all equal their slot number; reads resolve when the test says so. */
class FakeSource implements ChunkSource {
  inFlight = 0;
  maxInFlight = 0;
  aborted = 0;
  readonly waiting: Array<() => void> = [];
  constructor(
    private readonly bad: ReadonlySet<number> = new Set(),
    private readonly manual = false,
  ) {}

  async read(digest: Uint8Array, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    const slot = (digest[0] as number) - 1;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.aborted++;
          reject(signal.reason);
        };
        const go = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (this.manual) this.waiting.push(go);
        else setImmediate(go);
      });
      if (this.bad.has(slot)) throw new CorruptChunkError(Buffer.from(digest).toString('hex'), 'digest does not match its content');
      const out = (into ?? new Uint8Array(length)).subarray(0, length);
      out.fill(slot);
      return out;
    } finally {
      this.inFlight--;
    }
  }
}

const disk = (idx: IndexView, source: ChunkSource): PointDisk => ({ pointId: '20250101-000000-0a0b0c0d', disk: 2, index: idx, source });

describe('readSlots', () => {
  it('hands out every slot in order, zero slots as null, with at most `ahead` reads at once', async () => {
    const source = new FakeSource();
    const seen: Array<[number, number | null, number]> = [];
    for await (const s of readSlots(disk(index(20, (i) => i % 3 === 0, 20 * CHUNK - 100), source), { ahead: 3, signal: never })) {
      seen.push([s.slot, s.data ? (s.data[0] as number) : null, s.length]);
    }
    expect(seen.map((s) => s[0])).toEqual([...Array(20).keys()]);
    expect(seen.filter((s) => s[1] === null).map((s) => s[0])).toEqual([0, 3, 6, 9, 12, 15, 18]);
    expect(seen.filter((s) => s[1] !== null).every((s) => s[1] === s[0])).toBe(true);
    expect(seen[19]?.[2]).toBe(CHUNK - 100);
    expect(source.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('reads only the slots asked for', async () => {
    const slots: number[] = [];
    for await (const s of readSlots(disk(index(10), new FakeSource()), { first: 4, end: 7, signal: never })) slots.push(s.slot);
    expect(slots).toEqual([4, 5, 6]);
  });

  it('fails before handing out anything when a chunk of the first window is damaged, naming point, disk and chunk', async () => {
    const slots: number[] = [];
    let error: unknown;
    try {
      for await (const s of readSlots(disk(index(10), new FakeSource(new Set([3]))), { ahead: 4, signal: never })) slots.push(s.slot);
    } catch (err) {
      error = err;
    }
    expect(slots).toEqual([]);
    expect(error).toBeInstanceOf(ExportError);
    const e = error as ExportError;
    expect(e.code).toBe('chunk-corrupt');
    expect(e.message).toContain('restore point 20250101-000000-0a0b0c0d is damaged');
    expect(e.message).toContain('of disk 2 (bytes 3072-4095)');
    expect(e.details['chunk']).toBe('04' + '00'.repeat(31));
  });

  it('stops at a damaged chunk found later, without handing out the slots after it', async () => {
    const slots: number[] = [];
    await expectAsync(
      (async () => {
        for await (const s of readSlots(disk(index(12), new FakeSource(new Set([9]))), { ahead: 2, signal: never })) slots.push(s.slot);
      })(),
    ).toBeRejectedWithError(ExportError, /chunk 0a0{62} of disk 2/);
    // What came before the damaged chunk may have been handed out; nothing from it on.
    expect(slots).toEqual([...Array(slots.length).keys()]);
    expect(slots.length).toBeLessThanOrEqual(9);
  });

  it('aborts the reads in flight when the consumer stops early', async () => {
    const source = new FakeSource(new Set(), true);
    const release = () => source.waiting.splice(0).forEach((go) => go());
    const it = readSlots(disk(index(10), source), { ahead: 4, signal: never });
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    release();
    expect((await first).value?.slot).toBe(0);
    // Asking for slot 1 frees slot 0's buffer for the read of slot 4, which stays in flight.
    expect((await it.next()).value?.slot).toBe(1);
    expect(source.inFlight).toBe(1);
    await it.return(undefined);
    expect(source.inFlight).toBe(0);
    expect(source.aborted).toBeGreaterThan(0);
  });
});
