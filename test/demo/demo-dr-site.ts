// The demo's second site: a DR site with a vCenter simulator of its own (another instance UUID),
// its own Lifeline server, data directory and store, paired with the demo's production site
// through both servers' APIs as two administrators would do it (a code at the DR site, the
// pairing at the production site).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConfig, type Config } from '../../plugin-server/src/config/index.js';
import type { Logger } from '../../plugin-server/src/log/index.js';
import { startLifelineServer, type LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { createVcenterCloner } from '../../plugin-server/src/server/vcenter-cloner.js';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { httpsCall } from '../server/https-client.js';

export interface DrSite {
  readonly vc: Vcsim;
  readonly server: LifelineServer;
  readonly config: Config;
  stop(): Promise<void>;
}

export interface DrSiteOptions {
  readonly dataDir: string;
  readonly apiPort: number;
  readonly sitePort: number;
  readonly name: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export async function startDrSite(opts: DrSiteOptions): Promise<DrSite> {
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const vc = await startVcsim({ vms: 3, diskSize: '256MiB' });
  let server: LifelineServer | null = null;
  let backup: BackupServices | null = null;
  const stop = async () => {
    await server?.stop();
    await backup?.close();
    await vc.stop();
  };
  try {
    const passwordFile = join(opts.dataDir, 'vcenter.password');
    await writeFile(passwordFile, `${vc.password}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
    const env = (apiPort: number, sitePort: number) => ({
      LIFELINE_PORT: String(apiPort),
      LIFELINE_SITE_PORT: String(sitePort),
      LIFELINE_SITE_NAME: opts.name,
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    });
    let config = buildConfig({ cwd: opts.dataDir, flags: { dataDir: opts.dataDir }, env: env(opts.apiPort, opts.sitePort) });
    backup = await openBackupServices({ config, log: opts.log, clock: systemClock, env: {} }, opts.signal);
    const deps = { log: opts.log, cloner: createVcenterCloner({ log: opts.log }), backup };
    try {
      server = await startLifelineServer({ config, ...deps });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      config = buildConfig({ cwd: opts.dataDir, flags: { dataDir: opts.dataDir }, env: env(0, 0) });
      server = await startLifelineServer({ config, ...deps });
    }
    return { vc, server, config, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Pairs `production` with `dr` through their APIs, each signed in as its vCenter's administrator. */
export async function pairDemoSites(production: { server: LifelineServer; vc: Vcsim }, dr: { server: LifelineServer; vc: Vcsim }): Promise<void> {
  const call = async (side: { server: LifelineServer; vc: Vcsim }, method: string, path: string, body?: unknown) => {
    const token = await side.vc.soapLogin();
    const reply = await httpsCall(`${side.server.url}/api/v1${path}`, {
      method,
      thumbprint: side.server.thumbprint,
      headers: { 'vmware-api-session-id': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (reply.status >= 300) throw new Error(`${method} ${path} at ${side.server.url}: ${reply.status} ${reply.text}`);
    return reply.json();
  };
  const code = (await call(dr, 'POST', '/sites/pairing-codes')) as { code: string; thumbprint: string; siteUrl: string };
  await call(production, 'POST', '/sites', { url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: { bandwidthMBps: 100, immutableDays: 14 } });
}
