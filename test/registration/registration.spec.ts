import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { connectVcenter, ThumbprintMismatchError, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import {
  AlreadyRegisteredError,
  EXTENSION_KEY,
  NotRegisteredError,
  planExtension,
  probeServer,
  registerLifeline,
  registrationStatus,
  resolveServerThumbprint,
  unregisterLifeline,
  type RegistrationStatus,
} from '../../plugin-server/src/registration/index.js';
import { startPluginEndpoint, type PluginEndpoint } from './plugin-endpoint.js';

// build/test/registration -> the repository root, where bin/lifeline.js runs the compiled CLI.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(ROOT, 'bin', 'lifeline.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lifeline(args: string[]): Promise<Run> {
  return new Promise((resolvePromise) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['LIFELINE_VC_PASSWORD'];
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolvePromise({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('registration with a vCenter', () => {
  let vc: Vcsim;
  let plugin: PluginEndpoint;
  let admin: Vcenter;
  let dir: string;
  let passwordFile: string;

  beforeAll(async () => {
    [vc, plugin] = await Promise.all([startVcsim({ vms: 1, diskSize: '1MiB' }), startPluginEndpoint()]);
    admin = await connectVcenter({ url: vc.url, thumbprint: vc.thumbprint, user: vc.username, password: vc.password, keepAliveMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'lifeline-reg-cli-'));
    passwordFile = join(dir, 'vc.pw');
    writeFileSync(passwordFile, `${vc.password}\n`, { mode: 0o600 });
  }, 360_000);

  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await Promise.all([vc?.stop(), plugin?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (await admin.findExtension(EXTENSION_KEY)) await admin.unregisterExtension(EXTENSION_KEY);
  });

  const planFor = async (version: string) => {
    const server = await resolveServerThumbprint(plugin.pluginUrl, undefined, probeServer);
    return planExtension({ pluginUrl: plugin.pluginUrl, version, serverThumbprint: server.thumbprint, serverCertificate: server.certificatePem, adminEmails: ['ops@example.com'] });
  };

  it('registers a remote plugin that vCenter then reports, pinning the answering server', async () => {
    const ext = await planFor('0.1.0.0');
    expect(ext.servers[0]?.serverThumbprint).toBe(plugin.thumbprint);
    const result = await registerLifeline(admin, ext, { update: false });
    expect(result.previous).toBeUndefined();

    const found = await admin.findExtension(EXTENSION_KEY);
    expect(found?.version).toBe('0.1.0.0');
    expect(found?.company).toBe('Lifeline');
    expect(found?.clients.map((c) => [c.type, c.url, c.version])).toEqual([['vsphere-client-remote', plugin.pluginUrl, '0.1.0.0']]);
    expect(found?.servers.map((s) => [s.type, s.url, s.serverThumbprint, s.adminEmail])).toEqual([['MANIFEST_SERVER', plugin.pluginUrl, plugin.thumbprint, ['ops@example.com']]]);
    expect(found?.privileges).toEqual(
      ['Protect', 'Restore', 'Admin'].map((p) => ({ privId: `${EXTENSION_KEY}.${p}`, privGroupName: EXTENSION_KEY })),
    );
    expect(found?.resources?.[0]?.data[`privilege.${EXTENSION_KEY}.Restore.label`]).toBe('Restore');
    // The event types Lifeline posts on VMs, declared so that alarms can be defined on them.
    expect(found?.events?.map((e) => e.eventId)).toContain(`${EXTENSION_KEY}.backup.failed`);
    expect(found?.events?.find((e) => e.eventId === `${EXTENSION_KEY}.rpo.violated`)?.eventTypeSchema).toContain(`<eventTypeID>${EXTENSION_KEY}.rpo.violated</eventTypeID>`);

    // What went over the wire: vim25's required adminEmail, and the certificate (API 8.0.2) whose
    // SHA-256 is the pinned thumbprint.
    const sent = await vc.extensionServersSent(EXTENSION_KEY);
    expect(sent.map((s) => [s.type, s.adminEmail, s.serverThumbprint])).toEqual([['MANIFEST_SERVER', ['ops@example.com'], plugin.thumbprint]]);
    expect(new X509Certificate(sent[0]!.serverCertificate).fingerprint256).toBe(plugin.thumbprint);

    const status = await registrationStatus(admin, probeServer);
    expect(status).toEqual({
      key: EXTENSION_KEY,
      registered: true,
      version: '0.1.0.0',
      pluginUrl: plugin.pluginUrl,
      serverThumbprint: plugin.thumbprint,
      currentServerThumbprint: plugin.thumbprint,
      thumbprintMatches: true,
    });
  });

  it('is refused by vCenter (as the harness refuses it) when a server names no administrator e-mail', async () => {
    const ext = await planFor('0.1.0.0');
    const withoutEmail = { ...ext, servers: ext.servers.map((s) => ({ ...s, adminEmail: [] })) };
    const err = await rejected(admin.registerExtension(withoutEmail));
    expect(String((err as Error).message)).toContain('adminEmail');
    expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();
  });

  it('refuses to register twice, leaving the registration as it was, and updates with update', async () => {
    await registerLifeline(admin, await planFor('0.1.0.0'), { update: false });
    const before = await admin.findExtension(EXTENSION_KEY);
    const err = await rejected(registerLifeline(admin, await planFor('0.2.0.0'), { update: false }));
    expect(err).toEqual(jasmine.any(AlreadyRegisteredError));
    expect((err as Error).message).toContain('--update');
    const after = await admin.findExtension(EXTENSION_KEY);
    expect(after?.version).toBe('0.1.0.0');
    expect(after?.clients).toEqual(before!.clients);

    const updated = await registerLifeline(admin, await planFor('0.2.0.0'), { update: true });
    expect(updated.previous?.version).toBe('0.1.0.0');
    expect(updated.registered.version).toBe('0.2.0.0');
    expect((await admin.findExtension(EXTENSION_KEY))?.clients[0]?.version).toBe('0.2.0.0');
  });

  it('refuses to update or unregister what is not registered', async () => {
    const upd = await rejected(registerLifeline(admin, await planFor('0.1.0.0'), { update: true }));
    expect(upd).toEqual(jasmine.any(NotRegisteredError));
    expect((upd as Error).message).toContain('without --update');
    expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();
    expect(await rejected(unregisterLifeline(admin))).toEqual(jasmine.any(NotRegisteredError));
  });

  it('reports a registration whose server now presents another certificate', async () => {
    const other = await startPluginEndpoint();
    try {
      const stale = planExtension({ pluginUrl: other.pluginUrl, version: '0.1.0.0', serverThumbprint: plugin.thumbprint, adminEmails: ['ops@example.com'] });
      await registerLifeline(admin, stale, { update: false });
      const status: RegistrationStatus = await registrationStatus(admin, probeServer);
      expect(status.registered).toBeTrue();
      expect(status.serverThumbprint).toBe(plugin.thumbprint);
      expect(status.currentServerThumbprint).toBe(other.thumbprint);
      expect(status.thumbprintMatches).toBeFalse();
    } finally {
      await other.stop();
    }
    const gone = await registrationStatus(admin, probeServer);
    expect(gone.thumbprintMatches).toBeUndefined();
    expect(gone.serverError).toContain('cannot be reached');
  });

  describe('from the command line', () => {
    const vcFlags = (): string[] => ['--vcenter', vc.baseUrl, '--thumbprint', vc.thumbprint, '--user', vc.username, '--password-file', passwordFile];

    it('registers, reports, updates, refuses a second registration and unregisters', async () => {
      // Without --server-thumbprint the presented thumbprint is shown, and nothing is registered.
      const unconfirmed = await lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--admin-email', 'ops@example.com']);
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain('[registration-server-thumbprint-unconfirmed]');
      expect(unconfirmed.stderr).toContain(`--server-thumbprint ${plugin.thumbprint}`);
      expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();
      const noEmail = await lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--server-thumbprint', plugin.thumbprint]);
      expect(noEmail.code).toBe(1);
      expect(noEmail.stderr).toContain('--admin-email');
      expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();

      const reg = await lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--server-thumbprint', plugin.thumbprint, '--admin-email', 'ops@example.com']);
      expect(reg.stderr).toBe('');
      expect(reg.code).toBe(0);
      expect(reg.stdout).toContain(`Registered ${EXTENSION_KEY}`);
      expect(reg.stdout).toContain(plugin.thumbprint);
      expect((await admin.findExtension(EXTENSION_KEY))?.version).toBe('0.1.0.0');

      const status = await lifeline(['registration', 'status', ...vcFlags(), '--json']);
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as RegistrationStatus;
      expect(parsed.registered).toBeTrue();
      expect(parsed.version).toBe('0.1.0.0');
      expect(parsed.pluginUrl).toBe(plugin.pluginUrl);
      expect(parsed.thumbprintMatches).toBeTrue();
      const text = await lifeline(['registration', 'status', ...vcFlags()]);
      expect(text.stdout).toContain('(matches)');

      const again = await lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--version', '0.1.0.9', '--server-thumbprint', plugin.thumbprint, '--admin-email', 'ops@example.com']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already registered');
      expect(again.stderr).toContain('--update');
      expect(again.stderr).toContain('[registration-exists]');
      expect((await admin.findExtension(EXTENSION_KEY))?.version).toBe('0.1.0.0');

      const upd = await lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--version', '0.1.0.9', '--update', '--server-thumbprint', plugin.thumbprint, '--admin-email', 'ops@example.com']);
      expect(upd.code).toBe(0);
      expect(upd.stdout).toContain('from version 0.1.0.0 to 0.1.0.9');
      expect((await admin.findExtension(EXTENSION_KEY))?.version).toBe('0.1.0.9');

      const un = await lifeline(['unregister', ...vcFlags()]);
      expect(un.code).toBe(0);
      expect(un.stdout).toContain(`Unregistered ${EXTENSION_KEY}`);
      expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();
      const unAgain = await lifeline(['unregister', ...vcFlags()]);
      expect(unAgain.code).toBe(1);
      expect(unAgain.stderr).toContain('not registered');

      const none = await lifeline(['registration', 'status', ...vcFlags()]);
      expect(none.code).toBe(0);
      expect(none.stdout).toContain('is not registered');
    }, 120_000);

    it('refuses a wrong vCenter thumbprint before sending anything', async () => {
      const wrong = vc.thumbprint.replace(/^../, vc.thumbprint.startsWith('00') ? '11' : '00');
      const calls = await vc.callCounts();
      const run = await lifeline(['register', '--vcenter', vc.baseUrl, '--thumbprint', wrong, '--user', vc.username, '--password-file', passwordFile, '--plugin-url', plugin.pluginUrl, '--server-thumbprint', plugin.thumbprint, '--admin-email', 'ops@example.com']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('vsphere-thumbprint-mismatch');
      expect(run.stderr).toContain(wrong);
      expect(run.stderr).toContain(vc.thumbprint);
      expect(await vc.callCounts()).toEqual(calls);
      expect(await admin.findExtension(EXTENSION_KEY)).toBeUndefined();
      const direct = await rejected(connectVcenter({ url: vc.url, thumbprint: wrong, user: vc.username, password: vc.password, keepAliveMs: 0 }));
      expect(direct).toEqual(jasmine.any(ThumbprintMismatchError));
    }, 120_000);

    it('checks the plugin URL and the server thumbprint before contacting vCenter', async () => {
      const calls = await vc.callCounts();
      const wrong = plugin.thumbprint.replace(/^../, plugin.thumbprint.startsWith('00') ? '11' : '00');
      const [http, page, missing, mismatch] = await Promise.all([
        lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl.replace('https:', 'http:')]),
        lifeline(['register', ...vcFlags(), '--plugin-url', `${plugin.origin}/ui/index.html`]),
        lifeline(['register', ...vcFlags(), '--plugin-url', `${plugin.origin}/other/plugin.json`]),
        lifeline(['register', ...vcFlags(), '--plugin-url', plugin.pluginUrl, '--server-thumbprint', wrong]),
      ]);
      expect(http.code).toBe(1);
      expect(http.stderr).toContain('https');
      expect(page.code).toBe(1);
      expect(page.stderr).toContain('plugin.json');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('HTTP 404');
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toContain(wrong);
      expect(mismatch.stderr).toContain(plugin.thumbprint);
      expect(mismatch.stderr).toContain('[registration-server-thumbprint-mismatch]');
      expect(await vc.callCounts()).toEqual(calls);
    }, 120_000);

    it('prints the planned extension with --dry-run without contacting vCenter', async () => {
      const calls = await vc.callCounts();
      const run = await lifeline(['register', '--plugin-url', plugin.pluginUrl, '--server-thumbprint', plugin.thumbprint, '--dry-run', '--version', '3.2.1.0', '--admin-email', 'a@example.com', '--admin-email', 'b@example.com']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const ext = JSON.parse(run.stdout) as ReturnType<typeof planExtension>;
      expect(ext.version).toBe('3.2.1.0');
      expect(ext.clients[0]?.type).toBe('vsphere-client-remote');
      expect(ext.servers[0]?.serverThumbprint).toBe(plugin.thumbprint);
      expect(ext.servers[0]?.adminEmail).toEqual(['a@example.com', 'b@example.com']);
      expect(new X509Certificate(ext.servers[0]?.serverCertificate ?? '').fingerprint256).toBe(plugin.thumbprint);
      expect(await vc.callCounts()).toEqual(calls);
    }, 120_000);
  });
});
