/**
 * A codec worker thread: hashes, compresses, encrypts, decrypts and verifies chunks off the main
 * thread. Chunk data and output buffers live in shared memory (buffer-pool.ts), so nothing of
 * size crosses between threads; stored chunks read from the backend arrive transferred. Started
 * only by CodecPool (codec-pool.ts), which documents the messages.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { isLifelineError } from '../../errors/index.js';
import { ChunkHasher, decodeChunk, encodedBound, encodeChunk, type ChunkKeys } from './chunk-format.js';
import type { CodecRequest, CodecResponse, CodecWorkerData } from './codec-pool.js';
import { Zstd } from './zstd.js';

const init = workerData as CodecWorkerData;
const keys: ChunkKeys = { chunkId: init.chunkId, idKey: init.idKey, chunkKey: init.chunkKey };
const zstd = new Zstd();
const hasher = new ChunkHasher(init.chunkId, init.idKey, init.maxChunk);
const digestOf = (plain: Uint8Array) => hasher.digest(plain);
const port = parentPort;
if (!port) throw new Error('chunk-worker must run as a worker thread');

let scratch: Buffer = Buffer.alloc(0);
let verifyOut: Buffer = Buffer.alloc(0);

/** A reusable buffer of at least `n` bytes. */
function room(current: Buffer, n: number): Buffer {
  return current.byteLength >= n ? current : Buffer.allocUnsafeSlow(n);
}

function handle(req: CodecRequest): CodecResponse {
  switch (req.op) {
    case 'hash': {
      const d = hasher.digest(req.data);
      return { id: req.id, ok: true, op: 'hash', digest: d && new Uint8Array(d) };
    }
    case 'encode': {
      scratch = room(scratch, encodedBound(req.data.byteLength));
      const r = encodeChunk(req.data, req.digest, keys, zstd, init.level, randomBytes, req.out, scratch);
      return { id: req.id, ok: true, op: 'encode', size: r.size, compressed: r.compressed };
    }
    case 'decode': {
      scratch = room(scratch, req.stored.byteLength);
      return { id: req.id, ok: true, op: 'decode', length: decodeChunk(req.stored, req.digest, keys, zstd, req.out, scratch, digestOf) };
    }
    case 'verify': {
      scratch = room(scratch, req.stored.byteLength);
      verifyOut = room(verifyOut, req.length);
      return { id: req.id, ok: true, op: 'verify', length: decodeChunk(req.stored, req.digest, keys, zstd, verifyOut, scratch, digestOf) };
    }
  }
}

port.on('message', (req: CodecRequest) => {
  try {
    port.postMessage(handle(req));
  } catch (err) {
    const code = isLifelineError(err) ? err.code : 'codec-failed';
    const digest = isLifelineError(err) && typeof err.details['digest'] === 'string' ? err.details['digest'] : undefined;
    port.postMessage({ id: req.id, ok: false, error: { code, message: err instanceof Error ? err.message : String(err), digest } } satisfies CodecResponse);
  }
});
