// `npm run demo`: Lifeline on its embedded defaults. Starts the vCenter simulator with a few VMs,
// then the Lifeline server against it (data in .lifeline-data/, loopback only), prints where to
// go and how to sign in, and runs until Ctrl-C, when it stops both.
//
// There is no switch that turns authorisation off: the demo signs in the way the vSphere Client
// would, with a session of a simulator user whose id is the token Lifeline clones.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConfig, type Config } from '../../plugin-server/src/config/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { startLifelineServer, type LifelineServer } from '../../plugin-server/src/api/lifeline-server.js';
import { createVcenterCloner } from '../../plugin-server/src/api/vcenter-cloner.js';
import type { DemoVm } from '../../plugin-server/src/api/demo-host.js';
import { untilStopSignal } from '../../plugin-server/src/cli/serve-command.js';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/api/backup-services.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { seedDemo } from './demo-seed.js';

/** The repository root: build/test/demo/demo.js is three levels below it. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEMO_PORT = 8443;
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
  let backup: BackupServices | null = null;
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
      LIFELINE_UI_DIR: uiDir,
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
      ...pick(process.env, ['LIFELINE_PORT', 'LIFELINE_HOST', 'LIFELINE_LOG_LEVEL']),
    };
    const config = buildConfig({ cwd: ROOT, flags: { dataDir }, env });
    backup = await openBackupServices({ config, log, clock: systemClock, env: process.env }, lifetime.signal);
    server = await startOnFreePortIfTaken(config, log, backup, vc.vms.map((vm) => ({ moref: vm.moref, name: vm.name })));
    await seedDemo({ server, vc, dataBytes: 64 * 1024 * 1024, note: (msg) => process.stdout.write(`${msg}\n`) });
    process.stdout.write(instructions(server, vc, config, vcCert));
    await untilStopSignal(server, (msg) => process.stdout.write(`\n${msg}\n`));
    server = null;
  } finally {
    await server?.stop();
    lifetime.abort();
    await backup?.close();
    await vc.stop();
    process.stdout.write('Lifeline demo stopped.\n');
  }
}

async function startOnFreePortIfTaken(config: Config, log: ReturnType<typeof createLogger>, backup: BackupServices, vms: DemoVm[]): Promise<LifelineServer> {
  const cloner = createVcenterCloner({ log });
  // Only this launcher turns the demo host on: a stand-in vSphere Client on loopback.
  const demo = { vms, users: DEMO_USERS };
  const deps = { log, cloner, demo, backup };
  try {
    return await startLifelineServer({ config, ...deps });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    process.stdout.write(`Port ${config.port} is taken; using a free one instead.\n`);
    return startLifelineServer({ config: { ...config, port: 0 }, ...deps });
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => (env[n] ? [[n, env[n]]] : [])));
}

function instructions(server: LifelineServer, vc: Vcsim, config: Config, vcCert: string): string {
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
    server.uiUrl && server.demoUrl
      ? `  open              ${server.demoUrl}   (the vSphere Client stand-in: pick a VM, switch the theme)`
      : '  plugin UI         not built (dist/plugin-ui missing); the API alone is served',
    ...(server.uiUrl ? [`  plugin UI         ${server.uiUrl}`] : []),
    ...(server.pluginUrl ? [`  plugin.json       ${server.pluginUrl}`] : []),
    `  vCenter (sim)     ${vc.baseUrl}   GUID ${vc.instanceUuid}, ${vc.vms.length} VMs`,
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
