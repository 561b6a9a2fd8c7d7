/**
 * node-soap's HTTP layer for vim25: POSTs through the pinned keep-alive agent, carries the
 * vCenter session cookie (`vmware_soap_session`) both ways, and honours the caller's AbortSignal.
 * node-soap's own client would bring its own HTTP stack and TLS settings; this keeps every byte
 * Lifeline sends to a vCenter on the one pinned agent.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { IHttpClient } from 'soap';
import { VimProtocolError } from './vim-errors.js';

export const SESSION_COOKIE = 'vmware_soap_session';

/** What node-soap reads from a response. */
interface SoapHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  data: string;
}

type SoapCallback = (err: unknown, res?: SoapHttpResponse, body?: string) => void;

export class VimHttpTransport {
  /** `vmware_soap_session=<value>` as vCenter set it, or undefined before login. */
  cookie: string | undefined;

  constructor(private readonly agent: https.Agent) {}

  /** Remembers a session cookie from a response's Set-Cookie headers, if it carries one. */
  takeCookie(headers: IncomingHttpHeaders): void {
    for (const c of headers['set-cookie'] ?? []) {
      const m = /^\s*vmware_soap_session=("[^"]*"|[^;]*)/.exec(c);
      if (m?.[1] !== undefined) this.cookie = `${SESSION_COOKIE}=${m[1]}`;
    }
  }

  /** As node-soap calls it: `exoptions.signal` is the caller's AbortSignal. */
  request(url: string, data: string, callback: SoapCallback, exheaders?: Record<string, unknown>, exoptions?: Record<string, unknown>): void {
    const signal = exoptions?.['signal'] instanceof AbortSignal ? exoptions['signal'] : undefined;
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(exheaders ?? {})) if (typeof v === 'string' || typeof v === 'number') headers[k] = v;
    headers['Content-Length'] = Buffer.byteLength(data, 'utf8');
    headers['Accept'] = 'text/xml';
    if (this.cookie !== undefined) headers['Cookie'] = this.cookie;
    let answered = false;
    const answer: SoapCallback = (err, res, body) => {
      if (answered) return;
      answered = true;
      callback(err, res, body);
    };
    const req = https.request(url, { method: 'POST', agent: this.agent, headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => answer(e));
      res.on('end', () => {
        this.takeCookie(res.headers);
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status !== 200 && !/<([\w-]+:)?Envelope[\s>]/.test(body)) {
          answer(new VimProtocolError(`vCenter answered HTTP ${status} to a SOAP call: ${body.slice(0, 200)}`, { status }));
          return;
        }
        answer(null, { status, headers: res.headers, data: body }, body);
      });
    });
    req.on('error', (e) => answer(e));
    req.end(data);
  }

  /** The object node-soap accepts as its `httpClient`; it ignores what `request` returns. */
  asHttpClient(): IHttpClient {
    return this as unknown as IHttpClient;
  }
}
