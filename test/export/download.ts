// An HTTPS download that reports what a client really received: the status, the headers, the
// bytes, and whether the body ended properly or the connection was cut under it. An answer from
// /api/v1 that the OpenAPI document does not describe fails the download.
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { assertDocumented } from '../contract/openapi-validator.js';

export interface Download {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body ended as HTTP says a body ends (its length reached, or its last chunk). */
  readonly complete: boolean;
  /** Why it did not, when it did not. */
  readonly error: string | null;
  json<T = Record<string, unknown>>(): T;
}

export function download(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> {
  return new Promise<Download>((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (complete: boolean, error: string | null) => {
        if (settled) return;
        settled = true;
        const body = Buffer.concat(chunks);
        // A body cut short is checked by its status and headers only.
        try {
          assertDocumented({ method, url, status: res.statusCode ?? 0, headers: res.headers, ...(complete ? { body } : {}) });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete, error, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(true, null));
      res.on('error', (err) => done(false, err.message));
      res.on('close', () => done(res.complete, res.complete ? null : 'the connection closed before the body ended'));
    });
    req.on('error', reject);
    req.end();
  });
}
