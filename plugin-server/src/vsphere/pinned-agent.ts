/**
 * An https.Agent for vCenter whose every connection is pinned to the configured certificate
 * thumbprint (../domain/tls-pin.ts says why and how).
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { requireThumbprint, whenPinned } from '../domain/index.js';
import { ThumbprintMismatchError } from './vim-errors.js';

export interface PinnedAgentOptions {
  /** SHA-256 thumbprint of the server certificate, in any form requireThumbprint accepts. */
  thumbprint: string;
  /** Connections kept per host; bulk disk reads use several in parallel. */
  maxSockets?: number;
  /** How long the TCP connect plus TLS handshake may take. */
  connectTimeoutMs?: number;
}

/**
 * An https.Agent with keep-alive whose every connection is checked against the pin before use.
 * TLS session resumption is off so that every new connection shows its certificate.
 */
export class PinnedAgent extends https.Agent {
  readonly thumbprint: string;
  readonly connectTimeoutMs: number;

  constructor(opts: PinnedAgentOptions) {
    super({
      keepAlive: true,
      keepAliveMsecs: 15_000,
      maxSockets: opts.maxSockets ?? 16,
      maxFreeSockets: opts.maxSockets ?? 16,
      scheduling: 'lifo',
      maxCachedSessions: 0,
      // The pin below takes the place of chain validation; see the module comment.
      rejectUnauthorized: false,
    });
    this.thumbprint = requireThumbprint(opts.thumbprint);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection({ ...options, rejectUnauthorized: false }) as TLSSocket;
    const host = `${options.host ?? options.hostname ?? 'localhost'}:${options.port ?? 443}`;
    const thumbprint = this.thumbprint;
    const mismatch = (presented: string) => new ThumbprintMismatchError(host, presented, thumbprint);
    whenPinned(socket, host, { thumbprint, mismatch, timeoutMs: this.connectTimeoutMs }).then(
      () => callback?.(null, socket),
      (err: Error) => callback?.(err, socket),
    );
    return undefined;
  }
}
