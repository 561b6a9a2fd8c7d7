/**
 * The DR site's end of the replication protocol over HTTPS (protocol.ts): an Express router that
 * the site listener mounts at /site/v1/replication behind its mutual-TLS peer check, which leaves
 * the paired peer in `res.locals.peer`. Routes (every one acts for that peer only):
 *
 *   PUT  /seed                              JSON SeedTransfer → 201 {created:true} | 200 {created:false}
 *   POST /offer                             JSON offer (byte arrays base64) → 200 OfferAnswer
 *   PUT  /sessions/{session}/chunks/{id}    application/octet-stream, the stored chunk → 204
 *   POST /sessions/{session}/commit         → 200 CommittedReplica
 *
 * There is no route that deletes, shortens or overwrites anything: a source can only add. Errors
 * are problem+json with a stable `code`; what the source sent wrong is a 4xx that names it, a
 * fault of this site a 5xx that names nothing of its internals.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { STATUS_CODES } from 'node:http';
import { isLifelineError, LifelineError, describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { alignedSharedMemory, DEFAULT_CHUNK_SIZE, DIRECT_IO_ALIGN, encodedBound, roundUp } from '../store/index.js';
import type { ReplicaReceiver } from './protocol.js';
import type { PeerIdentity, SiteReplicaReceiver } from './replica-sites.js';
import type { SeedTransfer } from './seed-transfer.js';

/** Largest stored chunk body accepted (a 16 MiB chunk's stored bound, with room to spare). */
export const MAX_CHUNK_BODY = 17 * 1024 * 1024;
/** Largest offer: a manifest and indexes of 32 bytes per 4 MiB of disk, in base64 — some 12 TiB of disks. */
export const MAX_OFFER_BODY = 128 * 1024 * 1024;

export interface ReplicationRouterOptions {
  /** The receiver serving one peer; a SiteReplicaReceiver also takes the peer's seed. */
  receiverFor(peer: PeerIdentity): ReplicaReceiver | SiteReplicaReceiver;
  logger?: Logger;
}

/** What each status means to the sender; everything else is a 500. */
const STATUS: Readonly<Record<string, number>> = {
  validation: 400,
  'bad-request': 400,
  'replication-refused': 403,
  'not-found': 404,
  'replica-missing': 404,
  'point-not-found': 404,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  // The source sent something that does not verify: a 422 naming it, nothing was stored.
  'manifest-invalid': 422,
  'index-invalid': 422,
  'chunk-corrupt': 422,
  'invalid-key': 422,
  'unsupported-format': 422,
  'not-a-repository': 422,
  'wrong-passphrase': 422,
  'object-not-found': 409,
  'repository-exists': 409,
  'repository-busy': 503,
  'store-full': 507,
  aborted: 503,
};

/** Work that must finish once begun (a chunk's durable put, a commit) is not cut short with its request. */
const NEVER = new AbortController().signal;

function b64(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new LifelineError('validation', `${field} must be base64`, { field });
  return Buffer.from(v, 'base64');
}

function requestSignal(req: Request, res: Response): AbortSignal {
  const c = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) c.abort(new LifelineError('aborted', 'the source closed the connection'));
  });
  req.on('aborted', () => c.abort(new LifelineError('aborted', 'the source closed the connection')));
  return c.signal;
}

/** Chunk bodies read into shared memory at once; a body that finds none free is read into a buffer of its own. */
const BODY_SLOTS = 8;
/** A slot's size: the stored bound of a chunk of the default size, which nearly every chunk body fits. */
const BODY_SLOT_BYTES = roundUp(encodedBound(DEFAULT_CHUNK_SIZE), DIRECT_IO_ALIGN);

/**
 * Page-aligned buffers in shared memory for chunk bodies, made on first use. A body read into one
 * is verified by the codec workers and written by the store by direct I/O where it lies: no copy
 * between the connection and the disk.
 */
class ChunkBodies {
  private free: Uint8Array[] | undefined;

  take(length: number): Uint8Array | undefined {
    if (length > BODY_SLOT_BYTES) return undefined;
    if (!this.free) {
      const slab = alignedSharedMemory(BODY_SLOTS * BODY_SLOT_BYTES);
      this.free = Array.from({ length: BODY_SLOTS }, (_, i) => new Uint8Array(slab, i * BODY_SLOT_BYTES, BODY_SLOT_BYTES));
    }
    return this.free.pop();
  }

  give(slot: Uint8Array): void {
    this.free?.push(slot);
  }
}

/**
 * A chunk's body, as application/octet-stream without content coding, of at most MAX_CHUNK_BODY
 * bytes and exactly as long as its content-length says: read into a slot of `bodies` when one is
 * free, else into a buffer of its own. `release` gives the slot back once the chunk is stored.
 */
function readChunkBody(req: Request, bodies: ChunkBodies): Promise<{ bytes: Uint8Array; release: () => void }> {
  if (req.is('application/octet-stream') !== 'application/octet-stream') {
    return Promise.reject(new LifelineError('unsupported-media-type', 'a chunk is sent as application/octet-stream'));
  }
  const coding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (coding !== 'identity') return Promise.reject(new LifelineError('unsupported-media-type', `a chunk is sent in its stored form, without content-encoding (not ${coding.slice(0, 40)})`));
  const header = req.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) return Promise.reject(new LifelineError('validation', 'the content-length is not a number of bytes'));
  if ((declared ?? 0) > MAX_CHUNK_BODY) return Promise.reject(new LifelineError('payload-too-large', `a chunk body is at most ${MAX_CHUNK_BODY} bytes`));
  const slot = declared === undefined ? undefined : bodies.take(declared);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    let settled = false;
    const done = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      if (err) {
        if (slot) bodies.give(slot);
        req.resume();
        reject(err);
        return;
      }
      let released = false;
      resolve({
        bytes: slot ? slot.subarray(0, n) : Buffer.concat(parts, n),
        release: () => {
          if (slot && !released) bodies.give(slot);
          released = true;
        },
      });
    };
    const onData = (d: Buffer): void => {
      if (n + d.byteLength > (declared ?? MAX_CHUNK_BODY)) {
        done(declared === undefined ? new LifelineError('payload-too-large', `a chunk body is at most ${MAX_CHUNK_BODY} bytes`) : new LifelineError('validation', 'the chunk body is longer than its content-length'));
        return;
      }
      if (slot) slot.set(d, n);
      else parts.push(d);
      n += d.byteLength;
    };
    req.on('data', onData);
    req.once('end', () => done(declared !== undefined && n !== declared ? new LifelineError('validation', 'the chunk body is shorter than its content-length') : undefined));
    req.once('error', (e) => done(e));
    req.once('close', () => done(new LifelineError('aborted', 'the source closed the connection')));
  });
}

export function createReplicationRouter(opts: ReplicationRouterOptions): Router {
  const router = express.Router();
  const peerOf = (res: Response): PeerIdentity => {
    const peer = res.locals['peer'] as PeerIdentity | undefined;
    if (!peer || typeof peer.id !== 'string') throw new LifelineError('replication-refused', 'this route serves paired sites only');
    return peer;
  };
  const receiver = (res: Response) => opts.receiverFor(peerOf(res));
  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction): void => {
      fn(req, res).catch(next);
    };

  router.put(
    '/seed',
    express.json({ limit: '1mb' }),
    wrap(async (req, res) => {
      const r = receiver(res);
      if (!('acceptSeed' in r)) throw new LifelineError('replication-refused', 'this site does not take seeds');
      const outcome = await r.acceptSeed(req.body as SeedTransfer, requestSignal(req, res));
      res.status(outcome === 'created' ? 201 : 200).json({ created: outcome === 'created' });
    }),
  );

  router.post(
    '/offer',
    express.json({ limit: MAX_OFFER_BODY }),
    wrap(async (req, res) => {
      const r = receiver(res);
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') throw new LifelineError('validation', 'the offer must be a JSON object', { field: 'body' });
      const indexes = body['indexes'];
      if (!Array.isArray(indexes) || indexes.length > 256) throw new LifelineError('validation', 'indexes must be an array of at most 256 disks', { field: 'indexes' });
      const answer = await r.offer(
        {
          repositoryId: String(body['repositoryId']),
          pointId: String(body['pointId']),
          manifest: b64(body['manifest'], 'manifest'),
          indexes: indexes.map((i: unknown, n) => {
            const o = i as Record<string, unknown> | null;
            if (!o || !Number.isInteger(o['disk'])) throw new LifelineError('validation', `indexes[${n}].disk must be an integer`, { field: `indexes[${n}].disk` });
            return { disk: o['disk'] as number, bytes: b64(o['bytes'], `indexes[${n}].bytes`) };
          }),
        },
        requestSignal(req, res),
      );
      res.json(answer);
    }),
  );

  const bodies = new ChunkBodies();
  router.put(
    '/sessions/:session/chunks/:hex',
    wrap(async (req, res) => {
      const r = receiver(res);
      const body = await readChunkBody(req, bodies);
      try {
        // A chunk that arrived whole is stored even if the source goes away meanwhile: that is what
        // lets the next offer skip it (its acknowledgement may be lost with the link).
        await r.putChunk(String(req.params['session']), String(req.params['hex']), body.bytes, NEVER);
      } finally {
        body.release();
      }
      res.status(204).end();
    }),
  );

  router.post(
    '/sessions/:session/commit',
    wrap(async (req, res) => {
      const r = receiver(res);
      res.json(await r.commit(String(req.params['session']), NEVER));
    }),
  );

  router.use((req: Request, _res: Response, next: NextFunction) => next(new LifelineError('not-found', `no replication route ${req.method} ${req.path}`)));

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent || res.destroyed) return;
    let status: number;
    let code: string;
    let detail: string;
    if (isLifelineError(err)) {
      status = STATUS[err.code] ?? 500;
      code = status === 500 ? 'internal' : err.code;
      detail = status === 500 ? 'the DR site met an unexpected error; its log has the details' : err.message;
    } else {
      const s = (err as { status?: unknown } | null)?.status;
      status = typeof s === 'number' && s >= 400 && s < 500 ? s : 500;
      code = status === 413 ? 'payload-too-large' : status === 415 ? 'unsupported-media-type' : status < 500 ? 'bad-request' : 'internal';
      detail = status < 500 && err instanceof Error ? err.message : 'the DR site met an unexpected error; its log has the details';
    }
    const peer = res.locals['peer'] as PeerIdentity | undefined;
    if (status >= 500) opts.logger?.error('replication request failed', { peer: peer?.name, method: req.method, path: req.path, status, err: describeError(err) });
    else opts.logger?.info('replication request refused', { peer: peer?.name, method: req.method, path: req.path, status, code });
    res
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail }));
  });
  return router;
}
