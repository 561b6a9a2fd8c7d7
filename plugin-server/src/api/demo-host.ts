/**
 * The demo's stand-in for the vSphere Client, served only when the demo launcher asks for it:
 *
 *   /demo/                     a host page that frames the plugin's views as the vSphere Client does
 *   /api/ui/htmlClientSdk.js   the SDK the UI loads, talking to that host page by postMessage
 *   POST /demo/session         a vCenter session for the demo user
 *
 * The demo user signs in to the simulated vCenter like anyone else: the server logs in over SOAP
 * with the demo configuration's credentials and hands the session id to the host page, which
 * passes it to the views as the vSphere Client passes its session token. The API then checks
 * that session through clone-ticket and CloneSession like any other. Nothing here answers a
 * caller that is not on this machine.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { VcenterConfig } from '../config/index.js';
import { LifelineError, NotFoundError } from '../errors/index.js';
import { readVcenterPassword } from './vcenter-password.js';

export interface DemoVm {
  readonly moref: string;
  readonly name: string;
}

export interface DemoHost {
  /** The folder holding the host page and the SDK stand-in (plugin-server/demo-host). */
  readonly staticDir: string;
  /** The vCenter the demo user signs in to, with the demo configuration's credentials. */
  readonly vcenter: VcenterConfig;
  /** The VMs the host page lists, as the simulator made them. */
  readonly vms: readonly DemoVm[];
  /** `/lifeline/<A.B.C.D>/plugin.json`: where the host page reads the views to show. */
  readonly manifestPath: string;
  /**
   * Other simulator accounts the host page may sign in as (`/demo/?user=NAME`), to show what a
   * user with fewer privileges sees. The configured account is the default.
   */
  readonly users?: readonly { readonly username: string; readonly password: string }[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function loopbackOnly(req: Request, _res: Response, next: NextFunction): void {
  // Skipping the routes leaves the request to the 404 handler, as if they did not exist.
  next(LOOPBACK.has(req.socket.remoteAddress ?? '') ? undefined : 'router');
}

export function demoHostRoutes(demo: DemoHost): Router {
  const router = express.Router();
  router.use(['/demo', '/api/ui'], loopbackOnly);
  router.get('/api/ui/htmlClientSdk.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(demo.staticDir, 'htmlClientSdk.js'));
  });
  router.get('/demo/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      manifestUrl: demo.manifestPath,
      vcenterGuid: demo.vcenter.guid,
      user: demo.vcenter.user,
      users: [demo.vcenter.user, ...(demo.users ?? []).map((u) => u.username)],
      vms: demo.vms,
    });
  });
  router.post('/demo/session', async (req, res) => {
    const asked = typeof req.query['user'] === 'string' ? req.query['user'] : demo.vcenter.user;
    let account: { username: string; password: string };
    if (asked === demo.vcenter.user) {
      account = { username: asked, password: await readVcenterPassword(demo.vcenter) };
    } else {
      const other = demo.users?.find((u) => u.username === asked);
      if (!other) throw new NotFoundError(`the demo has no account ${asked}`, { user: asked });
      account = other;
    }
    const sessionToken = await soapLogin(demo.vcenter, account.username, account.password, AbortSignal.timeout(30_000));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sessionToken, user: account.username });
  });
  router.use('/demo', express.static(demo.staticDir, { index: 'index.html', fallthrough: true, redirect: true }));
  return router;
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
