/**
 * Two Lifeline sites on this machine: two simulated vCenters (two harness processes, each with an
 * instance UUID of its own) and two Lifeline servers, "site-a" (production) and "site-b" (DR),
 * each serving its own vCenter on loopback with its own data directory, API listener and site
 * listener (mutual TLS). Optionally already paired (A the source, B the target), through both
 * servers' APIs as an administrator does it. `siteCall` talks to a site listener with any client
 * certificate, as another site (or an impostor) would.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import type { LifelineServerDeps } from '../../plugin-server/src/server/lifeline-server.js';
import type { VcenterUserSession } from '../../plugin-server/src/server/vcenter-cloner.js';
import { startVcenterServer, type SimUser, type VcenterServer } from '../server/vcenter-server-fixture.js';
import type { Vcsim, VcsimOptions } from '../vcsim/harness.js';

/** A client certificate and key, as a site presents them. */
export interface ClientIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  readonly thumbprint: string;
}

export interface SiteSide extends VcenterServer {
  readonly name: string;
  /** The server's own certificate: its identity towards other sites. */
  readonly identity: ClientIdentity;
  /** A session of the simulator's administrator (who holds Lifeline Admin). */
  readonly admin: string;
}

export interface TwoSites {
  readonly a: SiteSide;
  readonly b: SiteSide;
  stop(): Promise<void>;
}

export interface TwoSiteOptions {
  /** Users besides the administrators, on both vCenters. */
  readonly users?: readonly SimUser[];
  readonly deps?: { readonly a?: SiteDeps; readonly b?: SiteDeps };
  /** Pair A with B (A the source) through both APIs before returning. */
  readonly paired?: boolean;
  /** Give both sites a backup store, each unlocked with its own passphrase (`<name>-passphrase`). */
  readonly stores?: boolean;
  /** Extra standard port groups of each side's simulator, by site name (e.g. a drill's isolated network). */
  readonly portgroups?: Readonly<Record<string, string[]>>;
  /** VMs of each side's simulator (default 2). */
  readonly vms?: number;
  /** More simulator options of each side, by site name (e.g. its disk size). */
  readonly sim?: Readonly<Record<string, Partial<VcsimOptions>>>;
  /** The content of each side's configuration file (e.g. hook sets), by site name. */
  readonly files?: Readonly<Record<string, unknown>>;
  /** More configuration variables of each side, by site name (e.g. the built UI's folder). */
  readonly env?: Readonly<Record<string, Record<string, string>>>;
  /** Runs on each side once its simulator exists, before its server starts (guest data). */
  readonly prepare?: (name: string, vc: Vcsim) => Promise<void>;
}

type SiteDeps = Omit<Partial<LifelineServerDeps<VcenterUserSession>>, 'config' | 'log' | 'cloner' | 'backup'>;

/** The store passphrase of the site `name` when started with `stores`. */
export function sitePassphrase(name: string): string {
  return `${name}-passphrase`;
}

async function startSide(name: string, opts: TwoSiteOptions, deps: SiteDeps | undefined): Promise<SiteSide> {
  // The site listener keeps its port across restarts (and a `lifeline serve` of the same data
  // directory), so that the paired site still reaches it: the first start lets the listener pick
  // a free port (a port found free beforehand may be taken by another listener meanwhile), and
  // every later start asks for that one.
  let sitePort = '0';
  const side = await startVcenterServer({
    sim: { vms: opts.vms ?? 2, ...(opts.portgroups?.[name] ? { portgroups: opts.portgroups[name] } : {}), ...opts.sim?.[name] },
    ...(opts.files?.[name] !== undefined ? { file: () => opts.files![name] } : {}),
    dataDirPrefix: `lifeline-${name}-`,
    ...(opts.users ? { users: opts.users } : {}),
    env: () => ({ LIFELINE_SITE_NAME: name, LIFELINE_SITE_PORT: sitePort, ...opts.env?.[name] }),
    ...(deps ? { deps } : {}),
    ...(opts.stores ? { backup: { passphrase: sitePassphrase(name) } } : {}),
    ...(opts.prepare ? { prepare: (vc: Vcsim) => opts.prepare!(name, vc) } : {}),
  });
  try {
    sitePort = new URL(side.server.siteUrl).port;
    const certPem = await readFile(join(side.dataDir, 'tls', 'server.crt'), 'utf8');
    const keyPem = await readFile(join(side.dataDir, 'tls', 'server.key'), 'utf8');
    const admin = await side.login();
    // The server's members stay live (a restart replaces `server`): the side inherits them.
    return Object.assign(Object.create(side) as VcenterServer, { name, identity: { certPem, keyPem, thumbprint: side.server.thumbprint }, admin }) as SiteSide;
  } catch (err) {
    await side.stop();
    throw err;
  }
}

export async function startTwoSites(opts: TwoSiteOptions = {}): Promise<TwoSites> {
  const a = await startSide('site-a', opts, opts.deps?.a);
  let b: SiteSide;
  try {
    b = await startSide('site-b', opts, opts.deps?.b);
  } catch (err) {
    await a.stop();
    throw err;
  }
  const stop = async () => {
    await Promise.all([a.stop(), b.stop()]);
  };
  try {
    if (a.vc.instanceUuid.toLowerCase() === b.vc.instanceUuid.toLowerCase()) throw new Error('the two simulators share an instance UUID');
    if (opts.paired) await pair(a, b);
    return { a, b, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Pairs `source` with `target` as two administrators do: a code at the target, the pairing at the source. */
export async function pair(source: SiteSide, target: SiteSide, settings: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const code = await target.call(target.admin, 'POST', '/sites/pairing-codes');
  if (code.status !== 201) throw new Error(`allow pairing failed: ${code.status} ${code.text}`);
  const { code: pairingCode, thumbprint, siteUrl } = code.json<{ code: string; thumbprint: string; siteUrl: string }>();
  const paired = await source.call(source.admin, 'POST', '/sites', { url: siteUrl, thumbprint, code: pairingCode, settings });
  if (paired.status !== 201) throw new Error(`pairing failed: ${paired.status} ${paired.text}`);
  return paired.json<{ id: string; name: string }>();
}

export interface SiteCallReply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** SHA-256 of the certificate the site listener presented. */
  readonly serverThumbprint: string;
  json<T = Record<string, unknown>>(): T;
}

/** A request to the site listener at `siteUrl` (path below /site/v1), with `client` as the client certificate, or none. */
export function siteCall(siteUrl: string, client: ClientIdentity | null, method: string, path: string, body?: unknown): Promise<SiteCallReply> {
  return new Promise((resolve, reject) => {
    let serverThumbprint = '';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${siteUrl}/site/v1${path}`,
      {
        method,
        agent: false,
        rejectUnauthorized: false,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, serverThumbprint, json: <T>() => JSON.parse(text) as T });
        });
      },
    );
    req.on('socket', (s) => s.once('secureConnect', () => (serverThumbprint = (s as TLSSocket).getPeerCertificate().fingerprint256)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A self-signed certificate of no site: an impostor's, or a relay's. */
export async function strangerIdentity(name = 'stranger'): Promise<ClientIdentity> {
  const pems = await generate([{ name: 'commonName', value: name }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
  return { certPem: pems.cert, keyPem: pems.private, thumbprint: new X509Certificate(pems.cert).fingerprint256 };
}
