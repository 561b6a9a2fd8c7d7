// The simulator's NFS datastore as ESXi has one: CreateNasDatastore mounts Lifeline's NFS export
// (found through the portmapper on port 111 of the remote host, as ESXi finds it), and the
// datastore browser, /folder reads, a VM's disk reads and writes, its power-on and a Storage
// vMotion off the datastore all go through NFS with real clients (libnfs). The server's count of
// NFS calls shows that they did. The server listens on 127.0.0.2 so that its portmapper does not
// collide with the other NFS suite's on 127.0.0.1:111.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { NfsServer, Publications, type Publication } from '../../plugin-server/src/nfs/index.js';
import { connectVcenter, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import { openRepository, pointImage, type PointImage } from '../export/export-fixture.js';
import { tempDir } from '../store/store-fixtures.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { tool } from './nfs-fixture.js';
import type { Repository } from '../../plugin-server/src/store/index.js';

const NFS_HOST = '127.0.0.2';
const DS = 'lifeline-nas-spec';

describe('vCenter simulator: an NFS datastore served by Lifeline', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let fixture: PointImage;
  let repo: Repository;
  let publications: Publications;
  let server: NfsServer;
  let pub: Publication;
  let vc: Vcsim;
  let vcenter: Vcenter;
  let vm: string;
  let host: string;
  let session: string;

  const soap = async (body: string): Promise<string> => {
    const res = await vc.request(
      'POST',
      '/sdk',
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`,
      { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.5', cookie: `vmware_soap_session="${session}"` },
    );
    return res.body.toString('utf8');
  };
  const property = (type: string, moref: string, path: string): Promise<string> =>
    soap(
      `<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet><propSet><type>${type}</type><pathSet>${path}</pathSet></propSet><objectSet><obj type="${type}">${moref}</obj></objectSet></specSet><options/></RetrievePropertiesEx>`,
    );

  beforeAll(async () => {
    dir = await tempDir('nas-ds');
    fixture = await pointImage(dir.path, { vmId: 'nas-suite', vmName: 'nas suite' });
    repo = await openRepository(fixture.repoDir);
    publications = await Publications.open({ dataDir: join(dir.path, 'data'), repository: repo });
    server = await NfsServer.start({
      publications,
      host: NFS_HOST,
      port: 0,
      portmapperPort: 111,
      clients: ['127.0.0.1', NFS_HOST],
      log: createLogger({ level: 'error', write: () => undefined }),
    });
    pub = await publications.publish(fixture.pointId);
    vc = await startVcsim({ vms: 1, poweredOff: true });
    vcenter = await connectVcenter({ url: vc.url, thumbprint: vc.thumbprint, user: vc.username, password: vc.password, keepAliveMs: 0 });
    vm = vc.vms[0]!.moref;
    host = (await vcenter.getVm(vm)).host!;
    session = await vc.soapLogin();
  }, 360_000);
  afterAll(async () => {
    vcenter?.close();
    await vc?.stop();
    await server?.close();
    await publications?.close();
    await repo?.close();
    await dir?.remove();
  });

  const descriptor = () => `[${DS}] ${pub.folder}/disk0.vmdk`;

  it('mounts the export, lists it, runs a VM’s disk from it and moves the disk off, all through NFS, then unmounts it', async () => {
    await expectAsync(vcenter.createNasDatastore(host, { name: 'unreachable', remoteHost: NFS_HOST, remotePath: '/nothing-here' })).toBeRejectedWithError(/NasConfigFault|mount/);

    const before = server.nfsCalls;
    const ds = await vcenter.createNasDatastore(host, { name: DS, remoteHost: NFS_HOST, remotePath: '/lifeline' });
    expect(server.nfsCalls).withContext('the mount went over NFS').toBeGreaterThan(before);
    const nas = (await vcenter.nasDatastores()).find((d) => d.moref === ds);
    expect(nas).toEqual(jasmine.objectContaining({ name: DS, remoteHost: NFS_HOST, remotePath: '/lifeline' }));
    expect(nas?.mounts).toEqual([{ host, accessible: true }]);

    const browser = /type="HostDatastoreBrowser"[^>]*>([^<]+)</.exec(await property('Datastore', ds, 'browser'))?.[1];
    expect(browser).toBeDefined();
    const listed = server.nfsCalls;
    const started = await soap(
      `<SearchDatastore_Task xmlns="urn:vim25"><_this type="HostDatastoreBrowser">${browser}</_this><datastorePath>[${DS}] ${pub.folder}</datastorePath></SearchDatastore_Task>`,
    );
    const task = /<returnval type="Task">([^<]+)<\/returnval>/.exec(started)?.[1];
    expect(task).withContext(started).toBeDefined();
    const taskInfo = await property('Task', task!, 'info');
    expect(taskInfo).toContain('<state>success</state>');
    expect(taskInfo).toContain('<path>disk0.vmdk</path>');
    expect(taskInfo).toContain('<path>disk0-flat.vmdk</path>');
    expect(taskInfo).toContain(`<fileSize>${fixture.image.length}</fileSize>`);
    expect(server.nfsCalls).withContext('the browser listed over NFS').toBeGreaterThan(listed);

    const res = await vc.request('GET', vc.folderUrl(descriptor(), 'DC0'), undefined, { cookie: `vmware_soap_session="${session}"` });
    expect(res.status).toBe(200);
    expect(res.body.toString('utf8')).toContain('disk0-flat.vmdk');
    expect((await vc.request('PUT', vc.folderUrl(`[${DS}] x.txt`, 'DC0'), 'x', { cookie: `vmware_soap_session="${session}"` })).status).toBe(405);

    // A disk attached from it is read and written through NFS, and the VM powers on from it.
    await expectAsync(
      vcenter.addExistingDisk(vm, { fileName: `[${DS}] no-such-folder/disk0.vmdk`, controllerKey: 1000, unitNumber: 1, capacityBytes: fixture.image.length }),
    ).toBeRejectedWithError(/FileNotFound|not found/);
    const disk = await vcenter.addExistingDisk(vm, { fileName: descriptor(), controllerKey: 1000, unitNumber: 1, capacityBytes: fixture.image.length });
    const diskKey = disk.key;

    let calls = server.nfsCalls;
    const head = await vc.readDisk(vm, diskKey, 0, 1 << 20);
    expect(head.equals(fixture.image.subarray(0, 1 << 20))).withContext('guest read').toBeTrue();
    expect(server.nfsCalls).toBeGreaterThan(calls);

    const data = Buffer.alloc(10_000, 0x5a);
    calls = server.nfsCalls;
    await vc.writeDisk(vm, diskKey, 12_345, data);
    expect(server.nfsCalls).toBeGreaterThan(calls);
    expect((await vc.readDisk(vm, diskKey, 12_345, data.length)).equals(data)).withContext('guest write read back').toBeTrue();
    // The write reached Lifeline's overlay: a plain NFS client sees it too.
    const out = join(dir.path, 'flat.bin');
    const cp = await tool('nfs-cp', [`nfs://${NFS_HOST}/lifeline/${pub.folder}/disk0-flat.vmdk?nfsport=${server.port}&mountport=${server.port}`, out]);
    expect(cp.code).withContext(cp.stderr).toBe(0);
    expect((await readFile(out)).subarray(12_345, 12_345 + data.length).equals(data)).toBeTrue();

    calls = server.nfsCalls;
    await vcenter.powerOn(vm);
    expect(server.nfsCalls).withContext('power-on opened the disk over NFS').toBeGreaterThan(calls);
    expect((await vcenter.getVm(vm)).powerState).toBe('poweredOn');

    // The datastore stays while a VM uses it; Storage vMotion copies the disk off through NFS.
    await expectAsync(vcenter.removeDatastore(host, ds)).toBeRejectedWithError(/ResourceInUse|in use/);

    const local = vc.datastores[0]!;
    calls = server.nfsCalls;
    await vcenter.relocateDisks(vm, [{ deviceKey: diskKey, datastore: local.moref }]);
    expect(server.nfsCalls).withContext('the copy read over NFS').toBeGreaterThan(calls);
    const info = await vcenter.getVm(vm);
    expect(info.powerState).toBe('poweredOn');
    const moved = info.disks.find((d) => d.key === diskKey)!;
    expect(moved.fileName).toBe(`[${local.name}] ${vc.vms[0]!.name}/disk0.vmdk`);
    const expected = Buffer.from(fixture.image);
    expected.fill(0x5a, 12_345, 12_345 + 10_000);
    const copied = await readFile(join(local.dir, vc.vms[0]!.name, 'disk0-flat.vmdk'));
    expect(copied.equals(expected)).withContext('the local copy holds the point and the guest’s write').toBeTrue();
    // Reads now come from the local copy, not over NFS.
    const after = server.nfsCalls;
    expect((await vc.readDisk(vm, diskKey, 12_345, 10_000)).equals(expected.subarray(12_345, 22_345))).toBeTrue();
    expect(server.nfsCalls).toBe(after);

    await vcenter.removeDatastore(host, ds);
    expect((await vcenter.nasDatastores()).map((d) => d.name)).not.toContain(DS);
  });
});
