import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import type { VmInfo } from '../../plugin-server/src/vsphere/index.js';

// build/test/vsphere -> the repository root, where bin/lifeline.js runs the compiled CLI.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(ROOT, 'bin', 'lifeline.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lifeline(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('LIFELINE_VC_PASSWORD' in env)) delete childEnv['LIFELINE_VC_PASSWORD'];
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('lifeline vcenter inventory', () => {
  let vc: Vcsim;
  let dir: string;
  let passwordFile: string;

  beforeAll(async () => {
    vc = await startVcsim({ vms: 3, disks: 2, diskSize: '2MiB' });
    dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
    passwordFile = join(dir, 'vc.pw');
    writeFileSync(passwordFile, `${vc.password}\n`, { mode: 0o600 });
  }, 360_000);

  afterAll(async () => {
    await vc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = (): string[] => ['vcenter', 'inventory', '--url', vc.baseUrl, '--user', vc.username, '--thumbprint', vc.thumbprint];

  it('prints the VMs as JSON', async () => {
    const run = await lifeline([...base(), '--password-file', passwordFile, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const vms = JSON.parse(run.stdout) as VmInfo[];
    expect(vms.map((v) => v.name)).toEqual(vc.vms.map((v) => v.name).sort());
    for (const expected of vc.vms) {
      const vm = vms.find((v) => v.moref === expected.moref)!;
      expect(vm.instanceUuid).toBe(expected.instanceUuid);
      expect(vm.disks.map((d) => [d.key, d.fileName, d.capacityBytes])).toEqual(expected.disks.map((d) => [d.key, d.file, d.capacity]));
    }
  });

  it('prints a table, with the password from the environment', async () => {
    const run = await lifeline(base(), { LIFELINE_VC_PASSWORD: vc.password });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ID\s+POWER\s+GUEST OS\s+TOOLS\s+CPU\s+MEMORY\s+DISKS\s+CBT\s+DATACENTER$/);
    expect(lines.length).toBe(6);
    expect(lines[5]).toBe(`vCenter instance UUID: ${vc.instanceUuid}`);
    for (const vm of vc.vms) expect(run.stdout).toContain(vm.name);
    expect(lines[1]).toContain('2 (4 MiB)');
  });

  it('shows both thumbprints when the certificate is another', async () => {
    const wrong = vc.thumbprint.replace(/^../, vc.thumbprint.startsWith('00') ? '11' : '00');
    const run = await lifeline(['vcenter', 'inventory', '--url', vc.url, '--user', vc.username, '--thumbprint', wrong, '--password-file', passwordFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(vc.thumbprint);
    expect(run.stderr).toContain(wrong);
    expect(run.stderr).toContain('vsphere-thumbprint-mismatch');
  });

  it('says the password is wrong without printing it', async () => {
    const run = await lifeline(base(), { LIFELINE_VC_PASSWORD: 'Wrong-Secret-77' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('wrong user name or password');
    expect(run.stderr).not.toContain('Wrong-Secret-77');
  });

  it('asks for a password when none is given', async () => {
    const run = await lifeline(base());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--password-file');
    expect(run.stderr).toContain('LIFELINE_VC_PASSWORD');
  });
});
