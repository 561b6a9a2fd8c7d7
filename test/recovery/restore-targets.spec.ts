// Restore targets are authorised with the user's own session. A restore job acts as Lifeline's
// service account, so before one is queued the user must hold, on each object it would act on,
// what vCenter itself demands of a user doing the same (vim25 CreateVM_Task and ReconfigVM_Task):
// a new VM needs VirtualMachine.Inventory.Create on its folder, Resource.AssignVMToPool on its
// resource pool, Datastore.AllocateSpace on its datastore and Network.Assign on its networks; an
// attach needs VirtualMachine.Config.AddExistingDisk on the VM and Datastore.AllocateSpace on the
// datastore, which must be one of the VM's datacenter. Users and their grants live in the vCenter
// simulator, which answers HasPrivilegeOnEntities with vCenter's propagation down the inventory.
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { fillDisk, MiB } from '../protection/backup-fixture.js';
import { connect } from '../vsphere/vcenter-fixture.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';

const CREATE = 'VirtualMachine.Inventory.Create';
const ASSIGN_POOL = 'Resource.AssignVMToPool';
const SPACE = 'Datastore.AllocateSpace';
const NETWORK = 'Network.Assign';
const ADD_DISK = 'VirtualMachine.Config.AddExistingDisk';

describe('restore targets authorised with the user\'s own session', () => {
  let fx: VcenterServer;
  let admin: string;
  let pointId: string;
  /** Morefs of the simulator's VM folder, root resource pool, datastore and network. */
  let folder: string;
  let pool: string;
  let datastore: string;
  let network: string;
  let users = 0;

  const urn = (i: number) => fx.urn(i);
  const call = (token: string, method: string, path: string, body?: unknown): Promise<HttpsReply> => fx.call(token, method, path, body);
  const jobOf = async (reply: HttpsReply): Promise<Record<string, unknown>> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let i = 0; i < 1500; i++) {
      const job = (await call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  /** A new simulator user with exactly these grants (by moref), signed in. */
  const userWith = async (grants: Record<string, string[]>, global: string[] = []): Promise<string> => {
    const username = `restorer${++users}@vsphere.local`;
    await fx.vc.addUser({ username, password: 'Restorer-1!', privileges: ['System.View', ...global], entityPrivileges: grants });
    return fx.login(username, 'Restorer-1!');
  };
  const missing = (reply: HttpsReply, privilege: string, entity: string): void => {
    const problem = expectProblem(reply, 403, 'forbidden');
    expect(problem['privilege']).toBe(privilege);
    expect(String(problem['entity'])).toContain(entity);
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: 16 * MiB },
      dataDirPrefix: 'lifeline-restore-targets-',
      backup: { passphrase: 'restore targets passphrase' },
      prepare: async (vc) => {
        await fillDisk(vc.vms[0]?.disks[0]?.path ?? '', 16 * MiB, 71);
      },
    });
    admin = await fx.login();
    const vc = await connect(fx.vc);
    try {
      const inv = await vc.inventory();
      const dc = inv.datacenters[0];
      if (!dc) throw new Error('no datacenter');
      const placement = await vc.defaultPlacement(dc.moref);
      folder = placement.folder.value;
      pool = placement.pool.value;
      datastore = inv.datastores[0]?.moref ?? '';
      network = inv.vms[0]?.networks[0]?.moref ?? '';
    } finally {
      await vc.logout();
    }
    expect([folder, pool, datastore, network].every((m) => m !== '')).toBeTrue();

    const policy = await call(admin, 'POST', '/policies', { name: 'Targets', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect((await call(admin, 'PUT', `/vms/${encodeURIComponent(urn(0))}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);
    const backedUp = await jobOf(await call(admin, 'POST', `/vms/${encodeURIComponent(urn(0))}/backup`));
    pointId = (backedUp['result'] as { pointId: string }).pointId;
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('refuses a new VM in a pool, on a datastore or on a network the user has no rights on', async () => {
    const source = { [fx.moref(0)]: [PRIVILEGES.restore] };
    const all = { ...source, [folder]: [PRIVILEGES.restore, CREATE], [pool]: [ASSIGN_POOL], [datastore]: [SPACE], [network]: [NETWORK] };
    const without = (entity: string, privilege: string) => ({ ...all, [entity]: (all[entity] ?? []).filter((p) => p !== privilege) });
    const body = (name: string) => ({ name, folder });

    missing(await call(await userWith(without(pool, ASSIGN_POOL)), 'POST', `/points/${pointId}/instantiate`, body('no-pool')), ASSIGN_POOL, pool);
    missing(await call(await userWith(without(datastore, SPACE)), 'POST', `/points/${pointId}/instantiate`, body('no-space')), SPACE, datastore);
    missing(await call(await userWith(without(network, NETWORK)), 'POST', `/points/${pointId}/instantiate`, body('no-network')), NETWORK, network);
    missing(await call(await userWith(without(folder, CREATE)), 'POST', `/points/${pointId}/instantiate`, body('no-create')), CREATE, folder);
    // Defaults are checked as well: without a folder and a pool, the datacenter's VM folder and the
    // root pool are the targets.
    missing(await call(await userWith(without(pool, ASSIGN_POOL), [PRIVILEGES.restore]), 'POST', `/points/${pointId}/instantiate`, { name: 'defaults' }), ASSIGN_POOL, pool);
    missing(await call(await userWith(without(folder, CREATE), [PRIVILEGES.restore]), 'POST', `/points/${pointId}/instantiate`, { name: 'defaults' }), CREATE, folder);
    // A network mapping to a network that does not exist is refused before anything is queued.
    expectProblem(await call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'nowhere', networks: { 'VM Network': 'constructor' } }), 400, 'validation');

    const vms = (await call(admin, 'GET', '/vms')).json<{ items: Array<{ name: string }> }>();
    expect(vms.items.map((v) => v.name).filter((n) => ['no-pool', 'no-space', 'no-network', 'no-create', 'defaults'].includes(n))).toEqual([]);

    const job = await jobOf(await call(await userWith(all), 'POST', `/points/${pointId}/instantiate`, body('placed-copy')));
    expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
  });

  it('refuses to attach disks to a VM the user may not add disks to, or on a datastore they have no rights on, or one that is not there', async () => {
    const source = { [fx.moref(0)]: [PRIVILEGES.restore] };
    const plainRestore = await userWith({ ...source, [fx.moref(1)]: [PRIVILEGES.restore], [datastore]: [SPACE] });
    missing(await call(plainRestore, 'POST', `/points/${pointId}/attach`, { vm: urn(1) }), ADD_DISK, fx.moref(1));
    const noSpace = await userWith({ ...source, [fx.moref(1)]: [PRIVILEGES.restore, ADD_DISK] });
    missing(await call(noSpace, 'POST', `/points/${pointId}/attach`, { vm: urn(1) }), SPACE, datastore);

    const allowed = await userWith({ ...source, [fx.moref(1)]: [PRIVILEGES.restore, ADD_DISK], [datastore]: [SPACE] });
    expectProblem(await call(allowed, 'POST', `/points/${pointId}/attach`, { vm: urn(1), datastore: 'NoSuchDS' }), 400, 'validation');
    expectProblem(await call(allowed, 'POST', `/points/${pointId}/attach`, { vm: urn(1), datastore: 'LocalDS_0] ../../etc' }), 400, 'validation');
    expect((await call(admin, 'GET', `/vms/${encodeURIComponent(urn(1))}/attachments`)).json()['items']).toEqual([]);

    const job = await jobOf(await call(allowed, 'POST', `/points/${pointId}/attach`, { vm: urn(1), datastore: fx.vc.datastores[0]?.name }));
    expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
  });
});
