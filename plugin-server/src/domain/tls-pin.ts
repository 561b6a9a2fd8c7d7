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

/** The thumbprint each server-side connection's peer presented, read once per connection. */
const presented = new WeakMap<TLSSocket, string | null>();

/**
 * The SHA-256 thumbprint of the certificate the peer of an established TLS connection presented,
 * or null when it presented none. Read once per connection: parsing the certificate again for
 * every request of a keep-alive connection costs its thread a good part of a millisecond each
 * time. The connection's renegotiation is refused from the first read on, so that the certificate
 * it was read from stays the connection's for its whole life (a renegotiation attempt then fails
 * the connection); TLS 1.3 has no renegotiation.
 */
export function presentedThumbprint(socket: TLSSocket): string | null {
  const known = presented.get(socket);
  if (known !== undefined) return known;
  if (typeof socket.disableRenegotiation === 'function') socket.disableRenegotiation();
  const cert = socket.getPeerCertificate();
  const thumbprint = cert && typeof cert.fingerprint256 === 'string' && cert.fingerprint256 !== '' ? cert.fingerprint256 : null;
  // An unfinished handshake says nothing yet: not remembered.
  if (socket.encrypted && !socket.destroyed && thumbprint !== null) presented.set(socket, thumbprint);
  return thumbprint;
}
