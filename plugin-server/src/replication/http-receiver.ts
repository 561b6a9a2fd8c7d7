/**
 * The source site's end of the replication protocol over HTTPS: a ReplicaReceiver whose calls are
 * requests to the DR site's replication routes (http-router.ts), over a keep-alive https.Agent
 * that presents this site's certificate and pins the DR site's by SHA-256 (domain/tls-pin.ts): not
 * a byte of a request reaches a server with another certificate. Chunks travel as
 * application/octet-stream bodies in their stored form.
 *
 * Errors: a connection that fails or is cut, a timeout and a 5xx answer are
 * 'replication-link-failed' with `details.transient` (link.ts retries them with backoff); a session
 * the DR site no longer knows is transient too (the next offer starts a new one); any other 4xx is
 * 'replication-refused' and names the DR site's code and message. On first contact, when the DR
 * site holds no replica yet ('replica-missing'), the receiver sends the seed (seed-transfer.ts,
 * encrypted to the certificate it pinned) and offers again.
 */
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { LifelineError } from '../errors/index.js';
import { requireThumbprint, whenPinned } from '../domain/index.js';
import type { CommittedReplica, OfferAnswer, PointOffer, ReplicaReceiver } from './protocol.js';
import type { SeedTransfer } from './seed-transfer.js';

/** The local site's TLS identity for outgoing site requests. */
export interface SiteIdentity {
  name: string;
  certPem: string;
  keyPem: string;
  thumbprint: string;
}

export interface HttpReplicaReceiverOptions {
  /** https://host:port of the DR site's site listener. */
  url: string;
  identity: SiteIdentity;
  /** The DR site's pinned certificate thumbprint. */
  peerThumbprint: string;
  /** Makes the seed for the DR site from its certificate (DER), on first contact. */
  seedFor?: (peerCertDer: Uint8Array, signal: AbortSignal) => Promise<SeedTransfer>;
  /** Connections kept to the DR site (default 8). */
  maxSockets?: number;
  /** A request with no progress for this long fails (default 60 s). */
  idleTimeoutMs?: number;
  /** Where the routes are mounted (default /site/v1/replication). */
  basePath?: string;
}

export interface HttpLinkCounters {
  offers: number;
  chunks: number;
  /** Stored chunk bytes sent (request bodies of acknowledged chunks). */
  chunkBytes: number;
  /** Offer bodies sent. */
  offerBytes: number;
  commits: number;
  seeds: number;
}

/** A keep-alive https.Agent with a client certificate, every connection pinned and its bytes counted. */
export class SiteAgent extends https.Agent {
  private readonly thumbprint: string;
  private closedWireBytes = 0;
  private readonly live = new Set<net.Socket>();
  /** This site's certificate and key, parsed once for every connection instead of at each. */
  private readonly context: SecureContext;

  constructor(identity: SiteIdentity, thumbprint: string, maxSockets: number) {
    super({
      keepAlive: true,
      keepAliveMsecs: 15_000,
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'lifo',
      maxCachedSessions: 0,
      cert: identity.certPem,
      key: identity.keyPem,
      // The pin below takes the place of chain validation (domain/tls-pin.ts).
      rejectUnauthorized: false,
    });
    this.thumbprint = requireThumbprint(thumbprint);
    this.context = createSecureContext({ cert: identity.certPem, key: identity.keyPem });
  }

  /** Bytes that crossed the TCP connections both ways so far (TLS records included). */
  get wireBytes(): number {
    let n = this.closedWireBytes;
    for (const s of this.live) n += s.bytesRead + s.bytesWritten;
    return n;
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = Number(options.port ?? 443);
    const raw = net.connect({ host, port });
    this.live.add(raw);
    raw.once('close', () => {
      this.live.delete(raw);
      this.closedWireBytes += raw.bytesRead + raw.bytesWritten;
    });
    const socket = super.createConnection({ ...options, socket: raw, secureContext: this.context, rejectUnauthorized: false } as https.RequestOptions) as TLSSocket;
    raw.once('error', (err) => socket.destroy(err));
    const where = `${host}:${port}`;
    const thumbprint = this.thumbprint;
    const mismatch = (presented: string) =>
      new LifelineError('replication-refused', `the site at ${where} presented certificate ${presented}, not the paired site's ${thumbprint}; nothing was sent`, { presented, expected: thumbprint });
    whenPinned(socket, where, { thumbprint, mismatch, failed: (e) => linkFailed(where, e), timeoutMs: 30_000 }).then(
      () => callback?.(null, socket),
      (err: Error) => callback?.(err, socket),
    );
    return undefined;
  }
}

function linkFailed(where: string, err: unknown): LifelineError {
  if (err instanceof LifelineError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return new LifelineError('replication-link-failed', `the link to ${where} failed: ${err instanceof Error ? err.message : String(err)}`, {
    transient: true,
    ...(typeof code === 'string' ? { cause: code } : {}),
  });
}

interface Answer {
  status: number;
  body: Buffer;
  /** The DR site's certificate, read off the pinned connection that answered a refusal. */
  peerCert: { raw: Buffer; fingerprint256: string } | undefined;
}

export class HttpReplicaReceiver implements ReplicaReceiver {
  readonly agent: SiteAgent;
  readonly counters: HttpLinkCounters = { offers: 0, chunks: 0, chunkBytes: 0, offerBytes: 0, commits: 0, seeds: 0 };
  private readonly base: URL;
  private readonly basePath: string;
  private readonly idleTimeoutMs: number;
  /** Settles when the last chunk body given a turn has been handed to its connection. */
  private bodyTurns: Promise<void> = Promise.resolve();

  constructor(private readonly opts: HttpReplicaReceiverOptions) {
    this.base = new URL(opts.url);
    if (this.base.protocol !== 'https:') throw new LifelineError('validation', `a site's address must be https://host:port, not ${opts.url}`, { field: 'url' });
    this.basePath = (opts.basePath ?? '/site/v1/replication').replace(/\/$/, '');
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.agent = new SiteAgent(opts.identity, opts.peerThumbprint, opts.maxSockets ?? 8);
  }

  async offer(offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer> {
    const body = Buffer.from(
      JSON.stringify({
        repositoryId: offer.repositoryId,
        pointId: offer.pointId,
        manifest: Buffer.from(offer.manifest).toString('base64'),
        indexes: offer.indexes.map((i) => ({ disk: i.disk, bytes: Buffer.from(i.bytes).toString('base64') })),
      }),
    );
    for (let seeded = false; ; seeded = true) {
      this.counters.offers++;
      this.counters.offerBytes += body.byteLength;
      const a = await this.request('POST', '/offer', body, 'application/json', signal);
      const problem = a.status >= 400 ? parseProblem(a.body) : undefined;
      if (problem?.code === 'replica-missing' && !seeded && this.opts.seedFor) {
        await this.sendSeed(a.peerCert, signal);
        continue;
      }
      return this.json(a, 'offer') as OfferAnswer;
    }
  }

  async putChunk(session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void> {
    const a = await this.request('PUT', `/sessions/${encodeURIComponent(session)}/chunks/${encodeURIComponent(hex)}`, stored, 'application/octet-stream', signal, true);
    if (a.status !== 204) this.json(a, `chunk ${hex}`);
    this.counters.chunks++;
    this.counters.chunkBytes += stored.byteLength;
  }

  async commit(session: string, signal: AbortSignal): Promise<CommittedReplica> {
    const a = await this.request('POST', `/sessions/${encodeURIComponent(session)}/commit`, Buffer.alloc(0), 'application/json', signal);
    const done = this.json(a, 'commit') as CommittedReplica;
    this.counters.commits++;
    return done;
  }

  /** Closes the kept connections. */
  close(): void {
    this.agent.destroy();
  }

  private async sendSeed(cert: Answer['peerCert'], signal: AbortSignal): Promise<void> {
    if (!cert?.raw || requireThumbprint(cert.fingerprint256) !== requireThumbprint(this.opts.peerThumbprint)) {
      throw new LifelineError('replication-refused', 'the DR site\'s certificate could not be read from the pinned connection; no seed was sent');
    }
    const seed = await this.opts.seedFor?.(cert.raw, signal);
    this.counters.seeds++;
    const a = await this.request('PUT', '/seed', Buffer.from(JSON.stringify(seed)), 'application/json', signal);
    this.json(a, 'seed');
  }

  private json(a: Answer, what: string): unknown {
    if (a.status >= 200 && a.status < 300) {
      try {
        return JSON.parse(a.body.toString('utf8')) as unknown;
      } catch {
        throw new LifelineError('replication-link-failed', `the DR site's answer to the ${what} is not JSON`, { transient: true });
      }
    }
    const p = parseProblem(a.body);
    const remote = p ? `${p.code}: ${p.detail}` : `HTTP ${a.status}`;
    if (a.status >= 500 || a.status === 408 || a.status === 429) {
      throw new LifelineError('replication-link-failed', `the DR site failed the ${what} (${remote})`, { transient: true, status: a.status, remoteCode: p?.code ?? null });
    }
    // A session the DR site forgot (it restarted, or replaced it): a new offer starts another.
    const transient = a.status === 404 && p?.code === 'not-found';
    throw new LifelineError('replication-refused', `the DR site refused the ${what} (${remote})`, { transient, status: a.status, remoteCode: p?.code ?? null });
  }

  /**
   * Waits for the turn to hand a chunk body to the connections (see `request`); resolves the
   * function that ends the turn. Turns are taken in the order asked for.
   */
  private async bodyTurn(): Promise<() => void> {
    const before = this.bodyTurns;
    let end!: () => void;
    this.bodyTurns = new Promise<void>((resolve) => (end = resolve));
    await before;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      end();
    };
  }

  /**
   * One request. A chunk body (`oneBodyAtATime`) goes out only on its turn, once the previous one
   * was handed to its connection: bodies sent all at once over the pool's connections arrive
   * interleaved and each one late, so the DR site's verification and durable put would wait for
   * all of them; one after another, the first arrives whole after its own share of the link and
   * its work there overlaps the next one's transfer. The request takes its connection only once
   * its turn came, so that no connection idles meanwhile (the DR site closes idle ones).
   */
  private async request(method: string, path: string, body: Uint8Array, type: string, signal: AbortSignal, oneBodyAtATime = false): Promise<Answer> {
    signal.throwIfAborted();
    const endTurn = oneBodyAtATime ? await this.bodyTurn() : undefined;
    if (signal.aborted) {
      endTurn?.();
      throw signal.reason as Error;
    }
    const where = this.base.host;
    try {
      return await this.send(method, path, body, type, signal, where, endTurn);
    } finally {
      // Ended already when the body was handed over; this covers a request that never went out.
      endTurn?.();
    }
  }

  private send(method: string, path: string, body: Uint8Array, type: string, signal: AbortSignal, where: string, endTurn: (() => void) | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const req = https.request(
        {
          agent: this.agent,
          host: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || 443,
          method,
          path: `${this.basePath}${path}`,
          headers: { 'content-type': type, 'content-length': body.byteLength, accept: 'application/json' },
          signal,
          timeout: this.idleTimeoutMs,
        },
        (res) => {
          // Read only where a seed may follow (a refusal naming 'replica-missing'): parsing the
          // certificate on every chunk's answer costs the link's thread half a millisecond each.
          const cert = (res.statusCode ?? 0) >= 400 ? (res.socket as TLSSocket | null)?.getPeerCertificate() : undefined;
          const peerCert = cert?.raw ? { raw: cert.raw, fingerprint256: cert.fingerprint256 } : undefined;
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.byteLength;
            if (size > 1024 * 1024) {
              req.destroy(new LifelineError('replication-link-failed', `the DR site's answer from ${where} is larger than 1 MiB`, { transient: true }));
              return;
            }
            parts.push(d);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), peerCert }));
          res.on('error', (e) => reject(signal.aborted ? (signal.reason as Error) : linkFailed(where, e)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no progress for ${this.idleTimeoutMs} ms`)));
      req.on('error', (e) => reject(signal.aborted ? (signal.reason as Error) : linkFailed(where, e)));
      if (endTurn) {
        req.once('finish', endTurn);
        req.once('close', endTurn);
      }
      req.end(body);
    });
  }
}

function parseProblem(body: Buffer): { code: string; detail: string } | undefined {
  try {
    const p = JSON.parse(body.toString('utf8')) as { code?: unknown; detail?: unknown };
    return typeof p.code === 'string' ? { code: p.code, detail: typeof p.detail === 'string' ? p.detail.slice(0, 500) : '' } : undefined;
  } catch {
    return undefined;
  }
}
