import { createHash, randomBytes } from 'node:crypto';
import { CodecPool } from './codec-pool.js';

const never = new AbortController().signal;

function sharedCopy(b: Uint8Array): Uint8Array {
  const s = new Uint8Array(new SharedArrayBuffer(b.byteLength));
  s.set(b);
  return s;
}

describe('CodecPool', () => {
  let pool: CodecPool;

  beforeEach(() => {
    pool = new CodecPool({ chunkId: 'sha256', idKey: undefined, chunkKey: undefined, level: 1, maxChunk: 1 << 20, threads: 2 });
  });
  afterEach(async () => {
    await pool.close();
  });

  it('answers every request of a burst far larger than the workers hold, each with its own result', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => sharedCopy(randomBytes(1024 * (1 + (i % 7) * 37))));
    const digests = await Promise.all(inputs.map((b) => pool.hash(b, never)));
    expect(digests.map((d) => Buffer.from(d ?? []).toString('hex'))).toEqual(inputs.map((b) => createHash('sha256').update(b).digest('hex')));
  });

  it('drops a queued request whose caller gave up, and still answers the others', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => sharedCopy(Buffer.alloc(256 * 1024, i + 1)));
    const quit = new AbortController();
    const calls = inputs.map((b, i) => pool.hash(b, i === 10 ? quit.signal : never));
    quit.abort(new Error('the caller gave up'));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(inputs.map((_, i) => (i === 10 ? 'rejected' : 'fulfilled')));
    expect(String((settled[10] as PromiseRejectedResult).reason)).toContain('the caller gave up');
  });

  it('rejects what is still queued when it closes', async () => {
    const inputs = Array.from({ length: 20 }, () => sharedCopy(randomBytes(512 * 1024)));
    const calls = inputs.map((b) => pool.hash(b, never));
    await pool.close();
    const settled = await Promise.allSettled(calls);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect(String(r.reason)).toContain('codec pool closed');
    await expectAsync(pool.hash(inputs[0] as Uint8Array, never)).toBeRejectedWithError(/codec pool closed/);
  });
});
