/**
 * The HTTPS listener and its graceful stop: stop accepting connections, let requests in flight
 * finish for up to the shutdown timeout, then abort what is left (their AbortSignals fire, so
 * vCenter calls made for them stop too) and close every connection.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Logger } from '../log/index.js';
import type { RequestTracker } from '../api/request-context.js';

export interface HttpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly keyPem: string;
  readonly certPem: string;
  readonly log: Logger;
  readonly shutdownTimeoutMs: number;
  /**
   * Ask clients for a certificate (mutual TLS) without judging it at the TLS layer: the site
   * listener compares it with its paired peers' pins itself.
   */
  readonly requestClientCertificate?: boolean;
  /**
   * Ask clients for a certificate and verify it against these CA certificates (only these), without
   * refusing the connection when there is none or it fails: a route judges `socket.authorized`.
   */
  readonly clientCaPem?: string | null;
}

export interface HttpsListener {
  readonly host: string;
  readonly port: number;
  /** Stops the listener; resolves once every connection has closed. Safe to call twice. */
  stop(): Promise<void>;
}

/** Tracks requests in flight, so a shutdown can cut off those that outlive its timeout. */
export class InFlightRequests implements RequestTracker {
  private readonly aborts = new Set<(reason: Error) => void>();

  track(abort: (reason: Error) => void): () => void {
    this.aborts.add(abort);
    return () => this.aborts.delete(abort);
  }

  get size(): number {
    return this.aborts.size;
  }

  abortAll(reason: Error): void {
    for (const abort of [...this.aborts]) abort(reason);
  }
}

export async function listenHttps(
  handler: RequestListener,
  inFlight: InFlightRequests,
  opts: HttpsServerOptions,
): Promise<HttpsListener> {
  const server: Server = createServer(
    {
      key: opts.keyPem,
      cert: opts.certPem,
      minVersion: 'TLSv1.2',
      ...(opts.requestClientCertificate ? { requestCert: true, rejectUnauthorized: false } : {}),
      ...(opts.clientCaPem ? { requestCert: true, rejectUnauthorized: false, ca: opts.clientCaPem } : {}),
      // Slow or idle clients must not hold a connection (and a shutdown) open for long.
      requestTimeout: 60_000,
      headersTimeout: 30_000,
      keepAliveTimeout: 5_000,
    },
    handler,
  );
  server.on('tlsClientError', (err) => opts.log.debug('TLS handshake failed', { error: err.message }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  server.on('error', (err) => opts.log.error('HTTPS server error', { error: err.message }));

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      // Idle keep-alive connections would otherwise wait for their own timeout.
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        opts.log.warn('shutdown timeout: cutting off requests still in flight', { requests: inFlight.size });
        inFlight.abortAll(new Error('the server is shutting down'));
        server.closeAllConnections();
      }, opts.shutdownTimeoutMs);
      // Connections that finish a request during the drain are closed as soon as they go idle.
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      void closed.then(() => {
        clearTimeout(deadline);
        clearInterval(sweeper);
        resolve();
      });
    });
    return stopping;
  };

  return { host: address.address, port: address.port, stop };
}
