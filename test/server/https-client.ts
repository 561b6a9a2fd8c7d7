// A small HTTPS client for the server suites: it trusts exactly one certificate thumbprint, as
// a vCenter pins a plugin server's, and reports the certificate it saw. Every answer from /api/v1
// is checked against the OpenAPI document: one the document does not describe fails the call.
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import { assertDocumented } from '../contract/openapi-validator.js';

export interface HttpsReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** SHA-256 thumbprint of the certificate the server presented. */
  readonly peerThumbprint: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsCallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The thumbprint the server must present; omit to accept any (and read it from the reply). */
  readonly thumbprint?: string;
  readonly signal?: AbortSignal;
  /** False for a route a spec mounts for itself, which the OpenAPI document rightly lacks: its answer is not checked. */
  readonly documented?: boolean;
}

export function httpsCall(url: string, opts: HttpsCallOptions = {}): Promise<HttpsReply> {
  return new Promise<HttpsReply>((resolve, reject) => {
    let peerThumbprint = '';
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        agent: false,
        // Verified through checkServerIdentity below when a thumbprint is given; the server's
        // certificate is self-signed, so chain validation has nothing to check against.
        rejectUnauthorized: false,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            if (opts.documented !== false) assertDocumented({ method: opts.method ?? 'GET', url, status: res.statusCode ?? 0, headers: res.headers, body: text });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            peerThumbprint,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        const cert = (socket as import('node:tls').TLSSocket).getPeerCertificate() as PeerCertificate;
        peerThumbprint = cert.fingerprint256;
        if (opts.thumbprint !== undefined && peerThumbprint !== opts.thumbprint) {
          req.destroy(new Error(`server certificate ${peerThumbprint} is not the pinned ${opts.thumbprint}`));
        }
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
