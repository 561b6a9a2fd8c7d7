/**
 * The store benchmark's disk image: 1 MiB blocks whose kind follows the block index modulo 10 —
 * 0–2 zeros (left as holes), 3–5 English-like word text, 6–7 random bytes, 8–9 copies of blocks
 * from one 64 MiB random pool. Everything is derived from a fixed seed, so every run measures the
 * same bytes.
 */
import { createCipheriv } from 'node:crypto';
import { open } from 'node:fs/promises';

const MiB = 1024 * 1024;
const POOL_BLOCKS = 64;

const WORDS = (
  'the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they ' +
  'you were her she there been one all we their has would when if so no will more can out who up what said its ' +
  'about into than them only other time new some could these two may first then do any like my now over such our ' +
  'man me even most made after also did many before must through back years where much your way well down should ' +
  'because each just those people how too little state good very make world still own see men work long get here ' +
  'between both life being under never day same another know while last might us great old year off come since ' +
  'against go came right used take three storage backup machine virtual disk snapshot restore volume cluster ' +
  'network datastore replication administrator policy schedule retention server database transaction journal ' +
  'report customer invoice order account payment region office building morning evening question answer system'
).split(' ');

const WORD_BYTES = WORDS.map((w) => Buffer.from(w.toLowerCase(), 'latin1'));
const SPACE = Buffer.from(' ');
const PERIOD = Buffer.from('. ');
const COMMA = Buffer.from(', ');
const NEWLINE = Buffer.from('\n');

/** A small deterministic generator (xorshift32); quality is ample for picking words and pool blocks. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Deterministic random bytes: an AES-256-CTR keystream under a fixed key. */
function keystream(label: number): (n: number) => Buffer {
  const key = Buffer.alloc(32, label);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16, 0));
  return (n) => cipher.update(Buffer.alloc(n));
}

function textBlock(next: () => number): Buffer {
  const out = Buffer.allocUnsafe(MiB);
  let pos = 0;
  let sentenceStart = true;
  while (pos < MiB) {
    const r = next();
    // Zipf-like: small indices (frequent words) come up far more often.
    const idx = Math.floor(Math.pow((r & 0xffff) / 0x10000, 2.2) * WORD_BYTES.length);
    const word = WORD_BYTES[idx] ?? SPACE;
    const start = pos;
    pos += word.copy(out, pos);
    if (sentenceStart && start < MiB) out[start] = (out[start] ?? 0x61) - 0x20;
    const sep = (r >>> 16) % 14 === 0 ? PERIOD : (r >>> 16) % 23 === 1 ? COMMA : r >>> 28 === 0 ? NEWLINE : SPACE;
    sentenceStart = sep === PERIOD;
    pos += sep.copy(out, pos);
  }
  return out;
}

export type BlockKind = 'zero' | 'text' | 'random' | 'pool';

export function blockKind(i: number): BlockKind {
  const m = i % 10;
  if (m <= 2) return 'zero';
  if (m <= 5) return 'text';
  if (m <= 7) return 'random';
  return 'pool';
}

/** Writes the image (sparse: zero blocks are never written) and returns its size in bytes. */
export async function buildImage(path: string, sizeMiB: number, poolPick: 'random' | 'modulo' = 'random'): Promise<number> {
  const next = xorshift(0x5eed);
  const random = keystream(1);
  const pool = keystream(2)(POOL_BLOCKS * MiB);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeMiB * MiB);
    for (let i = 0; i < sizeMiB; i++) {
      const kind = blockKind(i);
      let block: Buffer;
      if (kind === 'zero') continue;
      else if (kind === 'text') block = textBlock(next);
      else if (kind === 'random') block = random(MiB);
      else {
        const p = poolPick === 'random' ? next() % POOL_BLOCKS : i % POOL_BLOCKS;
        block = pool.subarray(p * MiB, (p + 1) * MiB);
      }
      await fh.write(block, 0, MiB, i * MiB);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return sizeMiB * MiB;
}
