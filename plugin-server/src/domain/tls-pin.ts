/**
 * TLS pinned to one certificate thumbprint. vCenters commonly present certificates of their own
 * VMCA, which no system trust store knows, so chain validation is replaced by a pin on the SHA-256
 * thumbprint the administrator configured: a connection is handed on only after the peer's
 * certificate has been compared with the pin, so not a byte of a request (token, cookie,
 * password) reaches a server with another certificate. There is deliberately no switch to skip
 * the check. Sockets given to `whenPinned` are opened with `rejectUnauthorized: false`.
 */
import type { TLSSocket } from 'node:tls';

export interface PinOptions {
  /** The pinned thumbprint, in the form normaliseThumbprint gives. */
  readonly thumbprint: string;
  /** The error for a certificate with another thumbprint ('(no certificate)' when none was shown). */
  readonly mismatch: (presented: string) => Error;
  /** The error for a socket that failed before the handshake ended; the socket's own by default. */
  readonly failed?: (err: Error) => Error;
  /** How long the handshake may take. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Resolves once the TLS handshake is done and the peer's certificate has the pinned thumbprint;
 * otherwise destroys the socket and rejects.
 */
export function whenPinned(socket: TLSSocket, host: string, opts: PinOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      socket.removeListener('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve();
      }
    };
    const onError = (err: Error): void => done(opts.failed ? opts.failed(err) : err);
    const onAbort = (): void => done(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => done(new Error(`TLS connection to ${host} not established within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      const presented = socket.getPeerCertificate().fingerprint256;
      done(presented === opts.thumbprint ? null : opts.mismatch(presented || '(no certificate)'));
    });
  });
}
