// The world an end-to-end test drives: the vCenter simulator with guest data on its disks, a real
// Lifeline server (backups, the built UI), the demo host that plays the vSphere Client on another
// origin and reaches the plugin only through its /plugins/… reverse proxy, and Debian's Chromium
// through playwright-core. Every request the browser makes is watched: one that is not the host's
// own and does not carry the proxy prefix is a plugin call that would not reach Lifeline inside a
// real vSphere Client, and is listed in `stray`. Screenshots go to test/e2e/screenshots/.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import type { Config } from '../../plugin-server/src/config/index.js';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import { startLifelineServer, type LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { createVcenterCloner } from '../../plugin-server/src/server/vcenter-cloner.js';
import { startDemoHost, type DemoHost } from '../../plugin-server/src/server/demo-host.js';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import { EXTENSION_KEY, extensionVersion } from '../../plugin-server/src/registration/index.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { fillDisk } from '../demo/demo-seed.js';
import { captureLog, removeDir, tempDir, testConfig, type CapturedLog } from '../server/server-fixture.js';

/** The repository root: build/test/e2e/ is three levels below it. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCREENSHOTS = join(ROOT, 'test', 'e2e', 'screenshots');
export const UI_DIR = join(ROOT, 'dist', 'plugin-ui');

/** May back up, may not restore. */
export const OPERATOR = { username: 'operator@vsphere.local', password: 'Operator-1!' };

export interface E2eWorld {
  readonly vc: Vcsim;
  readonly server: LifelineServer;
  readonly backup: BackupServices;
  readonly browser: Browser;
  /** The vSphere Client stand-in, whose `escapes` lists requests that missed its proxy. */
  readonly demo: DemoHost;
  /** Browser requests that went neither to the host's own pages nor through the proxy prefix. */
  readonly stray: string[];
  readonly log: CapturedLog;
  readonly dataDir: string;
  /** A page on the demo host signed in as `user` (default: the administrator). */
  openHost(user?: string): Promise<Page>;
  stop(): Promise<void>;
}

export async function startE2eWorld(
  opts: {
    vms?: number;
    dataBytes?: number;
    /** The server's configuration file, when it needs one (e.g. an NFS section). */
    file?: unknown;
  } = {},
): Promise<E2eWorld> {
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`the plugin UI is not built in ${UI_DIR}: run npx ng build plugin-ui first (npm test does)`);
  }
  const vc = await startVcsim({ vms: opts.vms ?? 2, diskSize: '64MiB' });
  const cleanups: (() => Promise<void>)[] = [() => vc.stop()];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    await vc.addUser({
      ...OPERATOR,
      privileges: ['System.View', 'System.Read'],
      entityPrivileges: Object.fromEntries(vc.vms.map((vm) => [vm.moref, ['System.View', 'System.Read', PRIVILEGES.protect]])),
    });
    let seed = 1;
    for (const vm of vc.vms) for (const disk of vm.disks) await fillDisk(disk.path, opts.dataBytes ?? 16 * 1024 * 1024, seed++);

    const dataDir = await tempDir('lifeline-e2e-');
    cleanups.push(() => removeDir(dataDir));
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, `${vc.password}\n`, { mode: 0o600 });
    const config = testConfig(dataDir, {
      LIFELINE_UI_DIR: UI_DIR,
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    }, opts.file);
    const log = captureLog();
    const lifetime = new AbortController();
    const backup = await openBackupServices({ config, log: log.log, clock: systemClock, env: {} }, lifetime.signal);
    cleanups.push(async () => {
      lifetime.abort();
      await backup.close();
    });
    const server = await startLifelineServer({
      config,
      log: log.log,
      cloner: createVcenterCloner({ log: log.log }),
      backup,
    });
    cleanups.push(() => server.stop());
    const front = await startFront({ server, config, dataDir, vms: vc.vms.map((vm) => ({ moref: vm.moref, name: vm.name })), users: [OPERATOR], log });
    cleanups.push(() => front.stop());
    return {
      vc,
      server,
      backup,
      browser: front.browser,
      demo: front.demo,
      stray: front.stray,
      log,
      dataDir,
      openHost: (user?: string) => front.openHost(user),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What a browser needs in front of a running Lifeline server: the vSphere Client stand-in and Chromium. */
export interface E2eFront {
  readonly demo: DemoHost;
  readonly browser: Browser;
  /** Browser requests that went neither to the host's own pages nor through the proxy prefix. */
  readonly stray: string[];
  /** A page on the demo host signed in as `user` (default: the administrator). */
  openHost(user?: string): Promise<Page>;
  stop(): Promise<void>;
}

/**
 * Starts the demo host in front of `server` (which serves the built UI) and Chromium, watching
 * every request the browser makes (see the top of this file).
 */
export async function startFront(opts: {
  readonly server: LifelineServer;
  readonly config: Config;
  readonly dataDir: string;
  readonly vms: readonly { moref: string; name: string }[];
  readonly users: readonly { username: string; password: string }[];
  readonly log: CapturedLog;
}): Promise<E2eFront> {
  const { server, config, dataDir, log } = opts;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const tls = await ensureServerCertificate({ dataDir, log: log.log });
    const demo = await startDemoHost({
      staticDir: join(ROOT, 'plugin-server', 'demo-host'),
      lifeline: { url: server.url, pluginUrl: server.pluginUrl!, certPem: tls.certPem },
      extensionKey: EXTENSION_KEY,
      extensionVersion: extensionVersion(server.version),
      vcenter: [...config.vcenters.values()][0]!,
      vms: opts.vms,
      users: opts.users,
      keyPem: tls.keyPem,
      certPem: tls.certPem,
      log: log.log,
    });
    cleanups.push(() => demo.stop());
    const stray: string[] = [];
    const hostOwn = /^\/(ui\/|api\/ui\/htmlClientSdk\.js$|demo\/)/;
    const watch = (url: string): void => {
      if (!/^https?:/.test(url)) return;
      const u = new URL(url);
      if (u.origin !== demo.url || !(u.pathname.startsWith(`${demo.proxyPrefix}/`) || hostOwn.test(u.pathname))) stray.push(url);
    };
    const browser = await chromium.launch({
      executablePath: process.env['CHROME_BIN'] ?? '/usr/bin/chromium',
      // Root in a container has no user namespaces for Chromium's sandbox.
      args: ['--no-sandbox'],
    });
    cleanups.push(() => browser.close());
    const contexts: BrowserContext[] = [];
    return {
      demo,
      browser,
      stray,
      async openHost(user?: string) {
        // The server's certificate is self-signed and made for this run; the browser is told to
        // accept it, as an administrator accepts it once in the vSphere Client.
        const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
        contexts.push(context);
        context.on('request', (req) => watch(req.url()));
        const page = await context.newPage();
        page.on('pageerror', (err) => log.log.warn('browser page error', { error: err.message }));
        await page.goto(`${demo.pageUrl}${user ? `?user=${encodeURIComponent(user)}` : ''}`);
        return page;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The frame of the view the host page shows (not a modal's). */
export async function viewFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('#view iframe');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the view has no frame');
  await frame.waitForLoadState();
  return frame;
}

/** The frame of the open modal. */
export async function modalFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('#modal-body iframe');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the modal has no frame');
  await frame.waitForLoadState();
  return frame;
}

/** Saves a screenshot of the page in light and in dark theme, as `<name>-light.png` / `-dark.png`. */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  // The theme switch is toggled by an event, not a pointer: a modal's backdrop may cover it.
  const box = page.locator('#dark');
  for (const dark of [false, true]) {
    if ((await box.isChecked()) !== dark) await box.dispatchEvent('click');
    // Let the views repaint in the new theme.
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${dark ? 'dark' : 'light'}.png`), fullPage: true });
  }
  if (await box.isChecked()) await box.dispatchEvent('click');
}
