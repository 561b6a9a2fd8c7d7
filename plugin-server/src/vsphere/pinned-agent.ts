/**
 * TLS pinned to one certificate thumbprint. vCenters commonly present certificates of their own
 * VMCA, which no system trust store knows, so chain validation is replaced by a pin on the SHA-256
 * thumbprint the administrator configured: a connection is handed to HTTP only after the peer's
 * certificate has been compared with the pin, so not a byte of a request (cookie, password) reaches
 * a server with another certificate. There is deliberately no switch to skip the check.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ValidationError } from '../errors/index.js';
import { ThumbprintMismatchError } from './vim-errors.js';

/** Upper-case hex pairs joined by colons, the form vSphere shows (`serverThumbprint`). */
export function normalizeThumbprint(thumbprint: string): string {
  const hex = thumbprint.trim().replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) {
    throw new ValidationError('the vCenter thumbprint must be hexadecimal (pairs may be separated by colons)', { thumbprint });
  }
  if (hex.length === 40) {
    throw new ValidationError('the vCenter thumbprint is a SHA-1 thumbprint; Lifeline pins the SHA-256 thumbprint of the certificate', {
      thumbprint,
    });
  }
  if (hex.length !== 64) {
    throw new ValidationError('the vCenter thumbprint must be a SHA-256 thumbprint (32 bytes, 64 hex digits)', { thumbprint });
  }
  return hex.match(/../g)!.join(':');
}

export interface PinnedAgentOptions {
  /** SHA-256 thumbprint of the server certificate, in any form normalizeThumbprint accepts. */
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
    this.thumbprint = normalizeThumbprint(opts.thumbprint);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection({ ...options, rejectUnauthorized: false }) as TLSSocket;
    const host = `${options.host ?? options.hostname ?? 'localhost'}:${options.port ?? 443}`;
    whenPinned(socket, host, this.thumbprint, this.connectTimeoutMs).then(
      () => callback?.(null, socket),
      (err: Error) => callback?.(err, socket),
    );
    return undefined;
  }
}

/**
 * Resolves once the TLS handshake is done and the peer's certificate has the pinned thumbprint;
 * otherwise destroys the socket and rejects (ThumbprintMismatchError for a wrong certificate).
 */
export function whenPinned(socket: TLSSocket, host: string, thumbprint: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve();
      }
    };
    const onError = (err: Error): void => done(err);
    const timer = setTimeout(() => done(new Error(`TLS connection to ${host} not established within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      const presented = socket.getPeerCertificate().fingerprint256;
      done(presented === thumbprint ? null : new ThumbprintMismatchError(host, presented || '(no certificate)', thumbprint));
    });
  });
}
