// `npm run demo`: Lifeline on its embedded defaults. Starts the vCenter simulator with a few VMs,
// then the Lifeline server against it (data in .lifeline-data/, loopback only), then a stand-in
// vSphere Client on another port that reaches Lifeline only through its /plugins/… reverse proxy,
// then a DR site (a second simulator and Lifeline server) paired with it, prints where to go and
// how to sign in, and runs until Ctrl-C, when it stops them all.
//
// There is no switch that turns authorisation off: the demo signs in the way the vSphere Client
// would, with a session of a simulator user whose id is the token Lifeline clones.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConfig, type Config } from '../../plugin-server/src/config/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { startLifelineServer, type LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { createVcenterCloner } from '../../plugin-server/src/server/vcenter-cloner.js';
import { startDemoHost, type DemoHost, type DemoVm } from '../../plugin-server/src/server/demo-host.js';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import { EXTENSION_KEY, extensionVersion } from '../../plugin-server/src/registration/index.js';
import { untilStopSignal } from '../../plugin-server/src/cli/serve-command.js';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { seedDemo } from './demo-seed.js';
import { pairDemoSites, startDrSite, type DrSite } from './demo-dr-site.js';

/** The repository root: build/test/demo/demo.js is three levels below it. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEMO_PORT = 8443;
/** The DR site's API; its site listener is on DEMO_SITE_PORT + 1. */
const DEMO_DR_PORT = 8445;
const DEMO_SITE_PORT = 8543;
/** Besides the administrator: an account that may only look, to show what such a user sees. */
const DEMO_USERS = [{ username: 'viewer@vsphere.local', password: 'Viewer-1!', privileges: ['System.View', 'System.Read'] }];

async function main(): Promise<void> {
  // The simulator is a new vCenter at every run (new GUID, VMs and certificate), so the demo's
  // state, store included, starts afresh too rather than pointing at a vCenter that is gone.
  const dataDir = join(ROOT, '.lifeline-data', 'demo');
  const demoDir = join(dataDir, 'simulator');
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(demoDir, { recursive: true, mode: 0o700 });
  const log = createLogger({ level: (process.env['LIFELINE_LOG_LEVEL'] as 'debug' | undefined) ?? 'info' });

  process.stdout.write('Starting the vCenter simulator…\n');
  const vc = await startVcsim({ vms: 6, clusters: 2, diskSize: '256MiB', users: DEMO_USERS });
  let server: LifelineServer | null = null;
  let host: DemoHost | null = null;
  let backup: BackupServices | null = null;
  let dr: DrSite | null = null;
  const lifetime = new AbortController();
  try {
    // The simulator is new at every run (new GUID, port and certificate), so its vCenter entry is
    // given as environment rather than written into a lifeline.json that would go stale.
    const passwordFile = join(demoDir, 'vcenter.password');
    await writeFile(passwordFile, `${vc.password}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
    const vcCert = join(demoDir, 'vcsim.crt');
    await writeFile(vcCert, vc.certificate);
    const uiDir = join(ROOT, 'dist', 'plugin-ui');
    const env = {
      LIFELINE_PORT: String(DEMO_PORT),
      LIFELINE_SITE_PORT: String(DEMO_SITE_PORT),
      LIFELINE_SITE_NAME: 'production',
      LIFELINE_UI_DIR: uiDir,
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
      ...pick(process.env, ['LIFELINE_PORT', 'LIFELINE_HOST', 'LIFELINE_LOG_LEVEL', 'LIFELINE_SITE_PORT', 'LIFELINE_SITE_NAME']),
    };
    const config = buildConfig({ cwd: ROOT, flags: { dataDir }, env });
    backup = await openBackupServices({ config, log, clock: systemClock, env: process.env }, lifetime.signal);
    server = await startOnFreePortIfTaken(config, log, backup);
    host = await startHost(server, config, log, vc.vms.map((vm) => ({ moref: vm.moref, name: vm.name })));
    process.stdout.write('Starting the DR site (a second vCenter simulator and Lifeline server) and pairing it…\n');
    dr = await startDrSite({ dataDir: join(dataDir, 'dr-site'), apiPort: DEMO_DR_PORT, sitePort: DEMO_SITE_PORT + 1, name: 'dr-site', log, signal: lifetime.signal });
    await pairDemoSites({ server, vc }, dr);
    await seedDemo({ server, vc, dataBytes: 64 * 1024 * 1024, note: (msg) => process.stdout.write(`${msg}\n`), replicationSite: dr.config.site.name });
    process.stdout.write(instructions(server, host, vc, config, vcCert, dr));
    await untilStopSignal(server, (msg) => process.stdout.write(`\n${msg}\n`));
    server = null;
  } finally {
    await host?.stop();
    await dr?.stop();
    await server?.stop();
    lifetime.abort();
    await backup?.close();
    await vc.stop();
    process.stdout.write('Lifeline demo stopped.\n');
  }
}

async function startOnFreePortIfTaken(config: Config, log: ReturnType<typeof createLogger>, backup: BackupServices): Promise<LifelineServer> {
  const cloner = createVcenterCloner({ log });
  const deps = { log, cloner, backup };
  try {
    return await startLifelineServer({ config, ...deps });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    process.stdout.write(`Port ${config.port} or ${config.site.port} is taken; using free ones instead.\n`);
    return startLifelineServer({ config: { ...config, port: 0, site: { ...config.site, port: 0 } }, ...deps });
  }
}

/** The stand-in vSphere Client, on the next port (or any free one), proxying to the server. */
async function startHost(server: LifelineServer, config: Config, log: ReturnType<typeof createLogger>, vms: DemoVm[]): Promise<DemoHost> {
  if (server.pluginUrl === null) throw new Error('the demo host needs the server to serve plugin.json');
  const tls = await ensureServerCertificate({ dataDir: config.dataDir, log });
  const vcenter = [...config.vcenters.values()][0];
  if (vcenter === undefined) throw new Error('the demo needs a configured vCenter to sign in to');
  const opts = {
    staticDir: join(ROOT, 'plugin-server', 'demo-host'),
    lifeline: { url: server.url, pluginUrl: server.pluginUrl, certPem: tls.certPem },
    extensionKey: EXTENSION_KEY,
    extensionVersion: extensionVersion(server.version),
    vcenter,
    vms,
    users: DEMO_USERS,
    keyPem: tls.keyPem,
    certPem: tls.certPem,
    host: config.host,
    log,
  };
  try {
    return await startDemoHost({ ...opts, port: server.port + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startDemoHost({ ...opts, port: 0 });
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => (env[n] ? [[n, env[n]]] : [])));
}

function instructions(server: LifelineServer, host: DemoHost, vc: Vcsim, config: Config, vcCert: string, dr: DrSite): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const cert = rel(server.certFile);
  const login =
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
    `<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>` +
    `<userName>${vc.username}</userName><password>${vc.password}</password></Login></soapenv:Body></soapenv:Envelope>`;
  const lines = [
    '',
    `Lifeline ${server.version} is running.`,
    '',
    `  Lifeline server   ${server.url}   (data in ${rel(config.dataDir)})`,
    `  certificate       SHA-256 ${server.thumbprint}`,
    server.uiUrl
      ? `  open              ${host.pageUrl}   (the vSphere Client stand-in: pick a VM, switch the theme)`
      : '  plugin UI         not built (dist/plugin-ui missing); the API alone is served',
    `  plugin proxy      ${host.url}${host.proxyPrefix}/   (how the stand-in reaches Lifeline, as vCenter's proxy does)`,
    ...(server.uiUrl ? [`  plugin UI         ${server.uiUrl}`] : []),
    ...(server.pluginUrl ? [`  plugin.json       ${server.pluginUrl}`] : []),
    `  vCenter (sim)     ${vc.baseUrl}   GUID ${vc.instanceUuid}, ${vc.vms.length} VMs`,
    `  site              ${config.site.name} at ${server.siteUrl}, paired with:`,
    `  DR site           ${dr.config.site.name} at ${dr.server.siteUrl}; its Lifeline API ${dr.server.url} (data in ${rel(dr.config.dataDir)})`,
    `  DR vCenter (sim)  ${dr.vc.baseUrl}   GUID ${dr.vc.instanceUuid}, ${dr.vc.vms.length} VMs (sign in as ${dr.vc.username} / ${dr.vc.password})`,
    '  (the Gold policy replicates to the DR site: each backup is followed by a replication job; see Global → Sites and the Jobs view)',
    `  sign in as        ${vc.username} / ${vc.password}`,
    `                    (or viewer@vsphere.local / Viewer-1!, who may only read)`,
    '',
    'The vSphere Client would hand Lifeline its session token; here a SOAP login to the simulator',
    'stands in for it. Get a session id, then list the VMs as that user:',
    '',
    `  TOKEN=$(curl -s --cacert ${rel(vcCert)} -o /dev/null -D - -H 'Content-Type: text/xml' \\`,
    `      -d '${login}' \\`,
    `      ${vc.url} | sed -n 's/^[Ss]et-[Cc]ookie: vmware_soap_session="\\{0,1\\}\\([^";]*\\).*/\\1/p')`,
    `  curl -s --cacert ${cert} -H "vmware-api-session-id: $TOKEN" ${server.url}/api/v1/vms`,
    '',
    `  curl -s --cacert ${cert} ${server.url}/api/v1/health`,
    `  curl -s --cacert ${cert} -H "vmware-api-session-id: $TOKEN" ${server.url}/api/v1/sites`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
