/**
 * Requests to a peer's site listener: HTTPS with mutual TLS, the peer's certificate pinned by its
 * SHA-256 thumbprint (domain/tls-pin.ts: not a byte of the request leaves before the pin is
 * checked) and this site's own certificate presented as the client certificate. `probeSite`
 * is the one unpinned call: it asks any address who it is, sends no certificate and nothing
 * secret, and reports the certificate it saw.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { LifelineError, describeError } from '../errors/index.js';
import { whenPinned } from '../domain/index.js';
import type { SiteIdentity } from './site-types.js';

export const SITE_API_PREFIX = '/site/v1';

/** An answer of a peer: its status and parsed JSON body (null when it had none). */
export interface SiteReply {
  readonly status: number;
  readonly body: unknown;
  /** The thumbprint of the certificate the peer presented. */
  readonly thumbprint: string;
}

export interface SiteRequestOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below /site/v1, e.g. '/pairing'. */
  readonly path: string;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The most a site answer may hold here: pairing and hello answers are a few hundred bytes. */
const MAX_REPLY_BYTES = 1_000_000;
const DEFAULT_TIMEOUT_MS = 15_000;

/** An https.Agent that presents this site's certificate and pins the peer's (for streaming requests, e.g. replication). */
export class PinnedSiteAgent extends https.Agent {
  constructor(private readonly identity: SiteIdentity, private readonly thumbprint: string, private readonly timeoutMs: number) {
    // No keep-alive and no session cache: every request shows both certificates again.
    super({ keepAlive: false, maxCachedSessions: 0, rejectUnauthorized: false, cert: identity.certPem, key: identity.keyPem });
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection({ ...options, rejectUnauthorized: false, cert: this.identity.certPem, key: this.identity.keyPem }) as TLSSocket;
    const host = `${options.host ?? options.hostname ?? 'localhost'}:${options.port ?? 443}`;
    const thumbprint = this.thumbprint;
    whenPinned(socket, host, { thumbprint, mismatch: (presented) => thumbprintMismatch(host, presented, thumbprint), timeoutMs: this.timeoutMs }).then(
      () => callback?.(null, socket),
      (err: Error) => callback?.(err, socket),
    );
    return undefined;
  }
}

export function thumbprintMismatch(where: string, presented: string, expected: string): LifelineError {
  return new LifelineError(
    'site-thumbprint-mismatch',
    `the site at ${where} presents the certificate ${presented}, not the confirmed ${expected}: it is another server, or something between the sites answers in its place`,
    { presented, expected },
  );
}

/** A request to the peer at `url`, whose certificate must have `thumbprint`, as `identity`. */
export function siteRequest(url: string, thumbprint: string, identity: SiteIdentity, opts: SiteRequestOptions): Promise<SiteReply> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return send(url, opts, timeoutMs, { agent: new PinnedSiteAgent(identity, thumbprint, timeoutMs) });
}

/** Who answers at `url`: the thumbprint of the certificate it presents, and what it says of itself. */
export function probeSite(url: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SiteReply> {
  return send(url, { method: 'GET', path: '/hello', ...(opts.signal ? { signal: opts.signal } : {}) }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, {
    agent: false,
    // Nothing is sent but the path; the certificate seen is what the caller wants to learn.
    rejectUnauthorized: false,
  });
}

function send(url: string, opts: SiteRequestOptions, timeoutMs: number, tls: https.RequestOptions): Promise<SiteReply> {
  const target = new URL(`${SITE_API_PREFIX}${opts.path}`, url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise<SiteReply>((resolve, reject) => {
    let thumbprint = '';
    const req = https.request(
      target,
      {
        ...tls,
        method: opts.method,
        headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        timeout: timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) req.destroy(new LifelineError('site-error', `the site at ${url} answered with more than ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', (err) => reject(unreachable(url, err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              reject(new LifelineError('site-error', `the site at ${url} answered ${res.statusCode ?? 0} with a body that is not JSON: is it a Lifeline site listener?`, { url }));
              return;
            }
          }
          resolve({ status: res.statusCode ?? 0, body, thumbprint });
        });
      },
    );
    req.on('socket', (socket) => socket.once('secureConnect', () => (thumbprint = (socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '')));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof LifelineError ? err : unreachable(url, err)));
    req.end(payload);
  });
}

function unreachable(url: string, err: Error): LifelineError {
  return new LifelineError('site-unreachable', `the site at ${url} could not be reached: ${describeError(err)}`, { url }, { cause: err });
}

/** A problem+json answer of a peer, as an error of this site with the peer's code when it is one the user can act on. */
export function peerRefusal(url: string, reply: SiteReply): LifelineError {
  const body = typeof reply.body === 'object' && reply.body !== null ? (reply.body as Record<string, unknown>) : {};
  const code = typeof body['code'] === 'string' ? body['code'] : `http-${reply.status}`;
  const detail = typeof body['detail'] === 'string' ? body['detail'] : `status ${reply.status}`;
  const passed = ['pairing-code-invalid', 'site-paired', 'site-thumbprint-mismatch', 'site-not-paired', 'validation'] as const;
  const own = passed.find((c) => c === code);
  if (own === 'validation') return new LifelineError('site-error', `the site at ${url} refused the request: ${detail}`, { url, peerCode: code });
  return new LifelineError(own ?? 'site-error', `the site at ${url} refused: ${detail}`, { url, peerCode: code });
}
