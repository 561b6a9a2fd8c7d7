/**
 * `lifeline register`, `lifeline unregister` and `lifeline registration status`: making the
 * vSphere Client load Lifeline as a remote plugin. Everything that can be checked without vCenter
 * (the plugin URL, the version, the server's certificate) is checked before connecting, so a typo
 * never leaves a half-made registration behind.
 */
import { Option, type Command } from 'commander';
import { ValidationError } from '../errors/index.js';
import { productVersion } from '../server/index.js';
import {
  EXTENSION_KEY,
  checkExtensionVersion,
  checkPluginUrl,
  extensionVersion,
  planExtension,
  probeServer,
  registerLifeline,
  registrationStatus,
  resolveServerThumbprint,
  ServerThumbprintUnconfirmedError,
  unregisterLifeline,
  type ExtensionManager,
  type RegistrationStatus,
} from '../registration/index.js';
import { connectVcenter, type Extension } from '../vsphere/index.js';
import { PASSWORD_ENV, readPassword } from './vcenter-commands.js';

interface VcenterFlags {
  vcenter?: string;
  thumbprint?: string;
  user?: string;
  passwordFile?: string;
  timeout: string;
}

interface RegisterFlags extends VcenterFlags {
  pluginUrl: string;
  serverThumbprint?: string;
  version?: string;
  adminEmail?: string[];
  update?: boolean;
  dryRun?: boolean;
}

interface StatusFlags extends VcenterFlags {
  json?: boolean;
}

function withVcenterOptions(cmd: Command, required: boolean): Command {
  const add = (flags: string, what: string): Command => (required ? cmd.requiredOption(flags, what) : cmd.option(flags, what));
  add('--vcenter <url>', 'the vCenter, e.g. https://vc.example.com');
  add('--thumbprint <sha256>', "SHA-256 thumbprint of the vCenter's certificate (AA:BB:...)");
  add('--user <user>', 'a vCenter user with the Extension privileges, e.g. administrator@vsphere.local');
  return cmd
    .option('--password-file <file>', `file holding the password (or set ${PASSWORD_ENV})`)
    .addOption(new Option('--timeout <seconds>', 'give up after this long').default('120'));
}

function timeoutSignal(flags: VcenterFlags): AbortSignal {
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new ValidationError(`--timeout must be a positive number of seconds, not ${flags.timeout}`);
  return AbortSignal.timeout(seconds * 1000);
}

/** Logs in, runs `work` with the ExtensionManager, logs out. */
async function withExtensionManager<T>(flags: VcenterFlags, signal: AbortSignal, work: (vc: ExtensionManager) => Promise<T>): Promise<T> {
  const missing = (['vcenter', 'thumbprint', 'user'] as const).filter((k) => flags[k] === undefined).map((k) => `--${k}`);
  if (missing.length > 0) throw new ValidationError(`give ${missing.join(', ')} to reach vCenter`);
  const password = await readPassword(flags, process.env);
  const vc = await connectVcenter({ url: flags.vcenter!, thumbprint: flags.thumbprint!, user: flags.user!, password, keepAliveMs: 0 }, signal);
  let result: T;
  try {
    result = await work(vc);
  } catch (err) {
    // Report what went wrong, not a logout on top of it; vCenter ends the idle session itself.
    vc.close();
    throw err;
  }
  await vc.logout(signal);
  return result;
}

function describeExtension(ext: Extension): string {
  const client = ext.clients[0];
  const server = ext.servers[0];
  return (
    `  version:           ${ext.version}\n` +
    `  plugin manifest:   ${client?.url ?? '(none)'}\n` +
    `  server thumbprint: ${server?.serverThumbprint ?? '(none)'}\n` +
    `  privileges:        ${ext.privileges.map((p) => p.privId).join(', ')}\n`
  );
}

export function formatStatus(vcenter: string, s: RegistrationStatus): string {
  if (!s.registered) return `${s.key} is not registered with ${vcenter}\n`;
  let current: string;
  if (s.serverError !== undefined) current = `not checked: ${s.serverError}`;
  else if (s.thumbprintMatches === true) current = `${s.currentServerThumbprint ?? ''} (matches)`;
  else current = `${s.currentServerThumbprint ?? ''} (DIFFERS: the vSphere Client will refuse the plugin; run lifeline register --update)`;
  return (
    `${s.key} is registered with ${vcenter}\n` +
    `  version:           ${s.version ?? '(none)'}\n` +
    `  plugin manifest:   ${s.pluginUrl ?? '(none)'}\n` +
    `  server thumbprint: ${s.serverThumbprint ?? '(none)'}\n` +
    `  server now:        ${current}\n`
  );
}

export function registerRegistrationCommands(program: Command): void {
  const register = program
    .command('register')
    .description('register Lifeline with a vCenter as a vSphere Client remote plugin (or update the registration)')
    .requiredOption('--plugin-url <url>', 'the HTTPS URL of the plugin manifest, as `lifeline serve` prints it, e.g. https://lifeline.example.com:8443/lifeline/0.1.0.0/plugin.json')
    .option('--server-thumbprint <sha256>', "SHA-256 thumbprint of the Lifeline server's certificate (as lifeline serve prints it); required, and checked against the server answering at --plugin-url")
    .option('--version <A.B.C.D>', "extension version (default: Lifeline's version, 0.1.0 -> 0.1.0.0); raise it whenever the plugin changes")
    .option('--admin-email <address>', 'administrator contact vCenter records for the plugin server (required, repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--update', 'replace an existing registration, e.g. after an upgrade')
    .option('--dry-run', 'print the extension that would be registered, without contacting vCenter');
  withVcenterOptions(register, false).action(async (flags: RegisterFlags) => {
    const signal = timeoutSignal(flags);
    const pluginUrl = checkPluginUrl(flags.pluginUrl);
    const version = flags.version !== undefined ? checkExtensionVersion(flags.version) : extensionVersion(await productVersion());
    const server = await resolveServerThumbprint(pluginUrl, flags.serverThumbprint, probeServer, signal);
    // Never pin whatever answers: the thumbprint is shown, and the administrator confirms it.
    if (server.source === 'server') throw new ServerThumbprintUnconfirmedError(pluginUrl, server.thumbprint);
    if (server.unreachable !== undefined) {
      process.stderr.write(`lifeline: note: ${server.unreachable}; registering the thumbprint given with --server-thumbprint\n`);
    }
    const ext = planExtension({ pluginUrl, version, serverThumbprint: server.thumbprint, serverCertificate: server.certificatePem, adminEmails: flags.adminEmail ?? [] });
    if (flags.dryRun) {
      process.stdout.write(JSON.stringify(ext, null, 2) + '\n');
      return;
    }
    const result = await withExtensionManager(flags, signal, (vc) => registerLifeline(vc, ext, { update: flags.update === true }, signal));
    const what = result.previous !== undefined ? `Updated ${ext.key} from version ${result.previous.version} to ${result.registered.version}` : `Registered ${ext.key}`;
    process.stdout.write(`${what} with ${flags.vcenter!}\n${describeExtension(result.registered)}`);
  });

  withVcenterOptions(program.command('unregister').description('remove the Lifeline plugin registration from a vCenter'), true).action(
    async (flags: VcenterFlags) => {
      const signal = timeoutSignal(flags);
      const removed = await withExtensionManager(flags, signal, (vc) => unregisterLifeline(vc, EXTENSION_KEY, signal));
      process.stdout.write(`Unregistered ${removed.key} (version ${removed.version}) from ${flags.vcenter!}\n`);
    },
  );

  const registration = program.command('registration').description("inspect Lifeline's registration with a vCenter");
  withVcenterOptions(registration.command('status').description('show whether Lifeline is registered and whether vCenter pins the certificate its server presents'), true)
    .option('--json', 'print the status as JSON')
    .action(async (flags: StatusFlags) => {
      const signal = timeoutSignal(flags);
      const status = await withExtensionManager(flags, signal, (vc) => registrationStatus(vc, probeServer, EXTENSION_KEY, signal));
      process.stdout.write(flags.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(flags.vcenter!, status));
    });
}
