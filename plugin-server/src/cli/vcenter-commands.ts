/**
 * `lifeline vcenter ...`: talking to a vCenter from the command line, to check a connection and
 * see what Lifeline sees. The password comes from a file or the environment, never from the
 * command line, where other users could read it in the process list.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ValidationError } from '../errors/index.js';
import { connectVcenter, type VmInfo } from '../vsphere/index.js';

export const PASSWORD_ENV = 'LIFELINE_VC_PASSWORD';

interface InventoryFlags {
  url: string;
  user: string;
  passwordFile?: string;
  thumbprint: string;
  json?: boolean;
  timeout: string;
}

/** The vCenter password from --password-file or the environment (never a flag). */
export async function readPassword(flags: { passwordFile?: string | undefined }, env: NodeJS.ProcessEnv): Promise<string> {
  if (flags.passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.passwordFile, 'utf8');
    } catch (err) {
      throw new ValidationError(`cannot read the password file ${flags.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    // Editors end files with a newline; it is not part of the password.
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new ValidationError(`the password file ${flags.passwordFile} is empty`);
    return password;
  }
  const fromEnv = env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  throw new ValidationError(`give the vCenter password with --password-file <file> or the ${PASSWORD_ENV} environment variable`);
}

function size(bytes: number): string {
  const gib = bytes / 2 ** 30;
  if (gib >= 1) return `${gib >= 10 ? gib.toFixed(0) : gib.toFixed(1)} GiB`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** A plain-text table: one line per VM, columns padded to their widest cell. */
export function formatVmTable(vms: readonly VmInfo[]): string {
  const header = ['NAME', 'ID', 'POWER', 'GUEST OS', 'TOOLS', 'CPU', 'MEMORY', 'DISKS', 'CBT', 'DATACENTER'];
  const rows = vms.map((vm) => [
    vm.name,
    vm.moref,
    vm.powerState,
    vm.guestOs ?? '',
    vm.toolsState,
    vm.cpus !== undefined ? String(vm.cpus) : '',
    vm.memoryMiB !== undefined ? `${vm.memoryMiB} MiB` : '',
    vm.disks.length === 0 ? '-' : `${vm.disks.length} (${size(vm.disks.reduce((s, d) => s + d.capacityBytes, 0))})`,
    vm.changeTrackingEnabled ? 'on' : 'off',
    vm.datacenter?.path ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function registerVcenterCommands(program: Command): void {
  const vcenter = program.command('vcenter').description('talk to a vCenter directly');
  vcenter
    .command('inventory')
    .description('list the virtual machines of a vCenter as Lifeline sees them')
    .requiredOption('--url <url>', 'the vCenter, e.g. https://vc.example.com')
    .requiredOption('--user <user>', 'user name, e.g. svc-lifeline@vsphere.local')
    .option('--password-file <file>', `file holding the password (or set ${PASSWORD_ENV})`)
    .requiredOption('--thumbprint <sha256>', "SHA-256 thumbprint of the vCenter's certificate (AA:BB:...)")
    .option('--json', 'print the VMs as JSON')
    .addOption(new Option('--timeout <seconds>', 'give up after this long').default('120'))
    .action(async (flags: InventoryFlags) => {
      const timeoutS = Number(flags.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new ValidationError(`--timeout must be a positive number of seconds, not ${flags.timeout}`);
      const signal = AbortSignal.timeout(timeoutS * 1000);
      const password = await readPassword(flags, process.env);
      const vc = await connectVcenter({ url: flags.url, thumbprint: flags.thumbprint, user: flags.user, password, keepAliveMs: 0 }, signal);
      let vms: readonly VmInfo[];
      try {
        ({ vms } = await vc.inventory(signal));
      } catch (err) {
        // Report what went wrong, not a logout on top of it; vCenter ends the idle session itself.
        vc.close();
        throw err;
      }
      const guid = vc.instanceUuid;
      await vc.logout(signal);
      // Under the table: the instance UUID a Lifeline server's configuration names the vCenter by.
      process.stdout.write(flags.json ? JSON.stringify(vms, null, 2) + '\n' : formatVmTable(vms) + `\nvCenter instance UUID: ${guid ?? 'unknown'}\n`);
    });
}
