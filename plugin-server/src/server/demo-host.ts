/**
 * The demo's stand-in for the vSphere Client: a server of its own, on another origin than the
 * Lifeline server, that reaches the plugin only the way vCenter does. It follows VMware's
 * "Developing Remote Plug-ins with the vSphere Client SDK" (sections "Remote Plug-in Deployment"
 * and "Communication Paths in Remote Plug-in Architecture": vCenter configures its reverse proxy
 * for the registered plugin server and the browser loads the plugin's files and API through it),
 * and the SDK's "Javascript API for remote plug-ins" for the `htmlClientSdk` it serves:
 *
 *   /ui/                          the host page, framing the plugin's views and modals
 *   /api/ui/htmlClientSdk.js      the SDK stand-in, at the fixed path every plugin page loads
 *   /demo/config.json             what the host page shows (VMs, users, the manifest's URL)
 *   POST /demo/session            a vCenter session for the signed-in user (SOAP Login)
 *   POST /demo/logout             ends it: from then on the SDK calls back with null
 *   /plugins/<key>~<version>~<n>/<host>-<port>/…
 *                                 the reverse proxy to the Lifeline server, as vCenter's
 *
 * Anything else is answered 404 and remembered in `escapes`: a plugin request that does not
 * carry the proxy prefix would not reach the Lifeline server inside a real vSphere Client.
 * Whatever passes the proxy is remembered in `proxied`. Listens on loopback only.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import type { VcenterConfig } from '../config/index.js';
import { LifelineError, NotFoundError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { InFlightRequests, listenHttps } from './https-server.js';
import { readVcenterPassword } from './vcenter-password.js';

export interface DemoVm {
  readonly moref: string;
  readonly name: string;
}

export interface DemoAccount {
  readonly username: string;
  readonly password: string;
}

export interface DemoHostOptions {
  /** The folder holding the host page and the SDK stand-in (plugin-server/demo-host). */
  readonly staticDir: string;
  /** The Lifeline server the proxy forwards to, as registered with vCenter. */
  readonly lifeline: {
    readonly url: string;
    /** The registered plugin.json URL (`https://<host>:<port>/lifeline/<A.B.C.D>/plugin.json`). */
    readonly pluginUrl: string;
    /** Its certificate, pinned as vCenter pins the registered thumbprint. */
    readonly certPem: string;
  };
  /** The extension key and numeric version the plugin is registered under. */
  readonly extensionKey: string;
  readonly extensionVersion: string;
  /** The vCenter the demo user signs in to, with the demo configuration's credentials. */
  readonly vcenter: VcenterConfig;
  readonly vms: readonly DemoVm[];
  /** Other simulator accounts the host page may sign in as (`/ui/?user=NAME`). */
  readonly users?: readonly DemoAccount[];
  /** The demo host's own TLS identity (the Lifeline server's will do: it is another port). */
  readonly keyPem: string;
  readonly certPem: string;
  readonly host?: string;
  readonly port?: number;
  readonly log: Logger;
}

export interface DemoHost {
  /** `https://<host>:<port>`, the "vSphere Client" origin. */
  readonly url: string;
  /** The host page to open in a browser. */
  readonly pageUrl: string;
  /** `/plugins/<key>~<version>~<n>/<host>-<port>`, the path prefix the proxy serves the plugin under. */
  readonly proxyPrefix: string;
  /** Paths (with method) that went through the proxy, in order. */
  readonly proxied: readonly string[];
  /** Requests that matched nothing the vSphere Client serves: plugin calls that left the proxy. */
  readonly escapes: readonly string[];
  stop(): Promise<void>;
}

/** Headers that belong to one connection and are not forwarded (RFC 9110, 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

export async function startDemoHost(opts: DemoHostOptions): Promise<DemoHost> {
  const target = new URL(opts.lifeline.url);
  const manifest = new URL(opts.lifeline.pluginUrl);
  // vCenter names the proxied server `<host>-<port>` under a folder of the plugin's key, version
  // and a deployment counter.
  const proxyPrefix = `/plugins/${opts.extensionKey}~${opts.extensionVersion}~1/${target.hostname.replace(/^\[|\]$/g, '')}-${target.port || '443'}`;
  const proxied: string[] = [];
  const escapes: string[] = [];
  const app = express();
  app.disable('x-powered-by');

  app.get('/api/ui/htmlClientSdk.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(opts.staticDir, 'htmlClientSdk.js'));
  });
  app.get('/demo/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      manifestUrl: `${proxyPrefix}${manifest.pathname}`,
      proxyPrefix,
      serverType: 'MANIFEST_SERVER',
      vcenterGuid: opts.vcenter.guid,
      user: opts.vcenter.user,
      users: [opts.vcenter.user, ...(opts.users ?? []).map((u) => u.username)],
      vms: opts.vms,
    });
  });
  app.post('/demo/session', async (req, res) => {
    const asked = typeof req.query['user'] === 'string' ? req.query['user'] : opts.vcenter.user;
    let account: DemoAccount;
    if (asked === opts.vcenter.user) {
      account = { username: asked, password: await readVcenterPassword(opts.vcenter) };
    } else {
      const other = opts.users?.find((u) => u.username === asked);
      if (!other) throw new NotFoundError(`the demo has no account ${asked}`, { user: asked });
      account = other;
    }
    const sessionToken = await soapLogin(opts.vcenter, account.username, account.password, AbortSignal.timeout(30_000));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sessionToken, user: account.username });
  });
  app.post('/demo/logout', (_req, res) => {
    // The host page forgets the session; the SDK then calls back with null as the vSphere Client
    // does once its session is gone.
    res.status(204).end();
  });
  app.use('/ui', express.static(opts.staticDir, { index: 'index.html', fallthrough: true, redirect: false }));
  app.get('/ui', (_req, res) => res.redirect(302, 'ui/'));

  app.use(proxyPrefix, (req: Request, res: Response) => {
    proxied.push(`${req.method} ${req.originalUrl}`);
    const upstreamOptions: RequestOptions = {
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 443),
      method: req.method,
      // req.url is what follows the prefix; the query string is kept as it is.
      path: req.url === '' ? '/' : req.url,
      headers: { ...forwardable(req.headers), host: target.host },
      ca: opts.lifeline.certPem,
      agent: false,
    };
    const upstream = request(upstreamOptions, (answer) => {
      // Location headers pass unchanged, as through vCenter's proxy: only a relative redirect
      // stays under the prefix.
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      opts.log.warn('demo proxy: the Lifeline server did not answer', { error: err.message, path: req.originalUrl });
      if (!res.headersSent) res.status(502).type('text/plain').send('The Lifeline server did not answer the proxy.');
      else res.destroy();
    });
    // An event stream ends when its reader goes away, here as behind vCenter.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  app.use((req: Request, res: Response) => {
    escapes.push(`${req.method} ${req.originalUrl}`);
    res.status(404).type('text/plain').send(`The vSphere Client stand-in serves nothing at ${req.originalUrl}; plugin requests go through ${proxyPrefix}/.`);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const message = err instanceof Error ? err.message : String(err);
    opts.log.warn('demo host request failed', { error: message });
    res.status(err instanceof NotFoundError ? 404 : 502).type('text/plain').send(message);
  });

  const listener = await listenHttps(app, new InFlightRequests(), {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    keyPem: opts.keyPem,
    certPem: opts.certPem,
    log: opts.log,
    shutdownTimeoutMs: 2_000,
  });
  const hostInUrl = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  const url = `https://${hostInUrl}:${listener.port}`;
  return { url, pageUrl: `${url}/ui/`, proxyPrefix, proxied, escapes, stop: () => listener.stop() };
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** SessionManager.Login over plain SOAP; the session id is the vmware_soap_session cookie. */
function soapLogin(vc: VcenterConfig, user: string, password: string, signal: AbortSignal): Promise<string> {
  const envelope =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
    '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>' +
    `<userName>${xmlEscape(user)}</userName><password>${xmlEscape(password)}</password></Login>` +
    '</soapenv:Body></soapenv:Envelope>';
  return new Promise<string>((resolve, reject) => {
    const req = request(
      `${vc.url}/sdk`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.5' },
        agent: false,
        signal,
        // The simulator's certificate is self-signed; it is pinned by thumbprint below instead.
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => /^vmware_soap_session="?([^";]+)"?/.exec(c)).find((m) => m !== null)?.[1];
          if (res.statusCode !== 200 || cookie === undefined) reject(new LifelineError('demo-login-failed', `SOAP Login as ${user} answered HTTP ${res.statusCode ?? 0}`));
          else resolve(cookie);
        });
      },
    );
    req.on('error', reject);
    // The password goes out only once the certificate is known to be the configured one.
    req.once('socket', (socket) =>
      socket.once('secureConnect', () => {
        const presented = (socket as TLSSocket).getPeerCertificate().fingerprint256;
        if (presented?.toUpperCase() === vc.thumbprint.toUpperCase()) req.end(envelope);
        else req.destroy(new LifelineError('demo-login-failed', `the vCenter at ${vc.url} presents another certificate than the configured one`));
      }),
    );
  });
}
