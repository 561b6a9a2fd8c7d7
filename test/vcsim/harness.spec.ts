import { existsSync, openSync, statSync, writeSync, closeSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { connect } from 'node:tls';
import { startVcsim, type Vcsim } from './harness.js';

function servedCertificate(vc: Vcsim): Promise<Buffer> {
  const port = Number(new URL(vc.url).port);
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...vc.tls }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(raw);
    });
    socket.on('error', reject);
  });
}

function writeInto(path: string, offset: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

describe('vCenter simulator harness', () => {
  const MiB = 1024 * 1024;
  let vc: Vcsim;

  beforeAll(async () => {
    vc = await startVcsim({ vms: 3, disks: 2, diskSize: 4 * MiB, clusters: 2, hosts: 1, users: [{ username: 'reader', password: 'secret', privileges: ['System.View'] }] });
  }, 900_000);

  afterAll(async () => {
    await vc?.stop();
  });

  it('describes the inventory the flags asked for', () => {
    expect(vc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(vc.instanceUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(vc.vms.length).toBe(3);
    expect(new Set(vc.vms.map((v) => v.moref)).size).toBe(3);
    expect(new Set(vc.vms.map((v) => v.name.replace(/_VM\d+$/, ''))).size).toBe(2); // spread over both clusters
    expect(vc.users.map((u) => u.username).sort()).toEqual(['administrator@vsphere.local', 'reader']);
    expect(vc.datastores.length).toBe(1);
    expect(existsSync(vc.datastores[0]!.dir)).toBeTrue();
    for (const vm of vc.vms) {
      expect(vm.disks.map((d) => d.key)).toEqual([2000, 2001]);
      for (const disk of vm.disks) {
        expect(disk.capacity).toBe(4 * MiB);
        expect(disk.file).toMatch(/^\[LocalDS_0\] .+\.vmdk$/);
        expect(disk.flatFile).toBe(disk.file.replace(/\.vmdk$/, '-flat.vmdk'));
        expect(statSync(disk.path).size).toBe(4 * MiB);
        expect(existsSync(disk.descriptorPath)).toBeTrue();
      }
    }
  });

  it('serves the certificate whose thumbprint it printed', async () => {
    expect(vc.thumbprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new X509Certificate(vc.certificate).fingerprint256).toBe(vc.thumbprint);
    const raw = await servedCertificate(vc);
    const hex = createHash('sha256').update(raw).digest('hex').toUpperCase();
    expect(hex.match(/../g)!.join(':')).toBe(vc.thumbprint);
  });

  it('serves bytes written into a flat file through /folder with Range, to a session only', async () => {
    const vm = vc.vms[1]!;
    const disk = vm.disks[1]!;
    const data = Buffer.from('Lifeline test bytes');
    writeInto(disk.path, 123_456, data);
    const url = vc.folderUrl(disk.flatFile, vm.datacenter);
    const range = { range: `bytes=123456-${123_456 + data.length - 1}` };

    expect((await vc.request('GET', url, undefined, range)).status).toBe(401);

    const session = await vc.soapLogin();
    const res = await vc.request('GET', url, undefined, { ...range, cookie: `vmware_soap_session=${session}` });
    expect(res.status).toBe(206);
    expect(res.body.toString()).toBe(data.toString());
  });

  it('writes guest data into a disk through the simulator, within its capacity only', async () => {
    const vm = vc.vms[0]!;
    const disk = vm.disks[1]!;
    const data = Buffer.from('written as a guest writes');
    await vc.writeDisk(vm.moref, disk.key, 70_000, data);
    const session = await vc.soapLogin();
    const url = vc.folderUrl(disk.flatFile, vm.datacenter);
    const res = await vc.request('GET', url, undefined, { range: `bytes=70000-${70_000 + data.length - 1}`, cookie: `vmware_soap_session=${session}` });
    expect(res.body.toString()).toBe(data.toString());
    await expectAsync(vc.writeDisk(vm.moref, disk.key, disk.capacity - 1, Buffer.from('xy'))).toBeRejectedWithError(/answered 400/);
    await expectAsync(vc.writeDisk(vm.moref, 9999, 0, data)).toBeRejectedWithError(/answered 404/);
  });

  it('refuses a clone ticket without a valid session and grants one for a session', async () => {
    const body = JSON.stringify({ vc_guid: vc.instanceUuid });
    const json = { 'content-type': 'application/json' };
    const path = '/api/ui/vcenter/session/clone-ticket';
    expect((await vc.request('POST', path, body, json)).status).toBe(401);
    expect((await vc.request('POST', path, body, { ...json, 'vmware-api-session-id': 'not-a-session' })).status).toBe(401);

    const session = await vc.soapLogin('reader', 'secret');
    const wrongGuid = JSON.stringify({ vc_guid: '00000000-0000-0000-0000-000000000000' });
    expect((await vc.request('POST', path, wrongGuid, { ...json, 'vmware-api-session-id': session })).status).toBe(404);
    const res = await vc.request('POST', path, body, { ...json, 'vmware-api-session-id': session });
    expect(res.status).toBe(200);
    const parsed = JSON.parse(res.body.toString()) as { session_clone_ticket?: unknown };
    expect(typeof parsed.session_clone_ticket).toBe('string');
  });

  it('rejects a wrong password and expires sessions on request', async () => {
    await expectAsync(vc.soapLogin(vc.username, 'wrong')).toBeRejectedWithError(/answered 500/);
    const session = await vc.soapLogin();
    const disk = vc.vms[0]!.disks[0]!;
    const url = vc.folderUrl(disk.flatFile, vc.vms[0]!.datacenter);
    const head = { range: 'bytes=0-0', cookie: `vmware_soap_session=${session}` };
    expect((await vc.request('GET', url, undefined, head)).status).toBe(206);
    expect(await vc.expireSessions()).toBeGreaterThanOrEqual(1);
    expect((await vc.request('GET', url, undefined, head)).status).toBe(401);
  });

  it('accepts and clears fault and delay rules', async () => {
    await vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'busy' });
    await vc.injectDelay('RemoveSnapshot_Task', 200, 2);
    const listed = await vc.request('GET', '/lifeline-sim/faults');
    expect(JSON.parse(listed.body.toString()).length).toBe(2);
    await expectAsync(vc.injectFault({ method: 'X', fault: 'NoSuchFault' })).toBeRejectedWithError(/400/);
    await vc.clearFaults();
    expect(JSON.parse((await vc.request('GET', '/lifeline-sim/faults')).body.toString())).toEqual([]);
  });

  it('removes its directories and exits on stop', async () => {
    const other = await startVcsim({ vms: 1, diskSize: '1MiB' });
    const dir = other.datastores[0]!.dir;
    expect(existsSync(dir)).toBeTrue();
    await other.stop();
    expect(existsSync(dir)).toBeFalse();
    expect(() => process.kill(other.pid, 0)).toThrow();
  });
});
