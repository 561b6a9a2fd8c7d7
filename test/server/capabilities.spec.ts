// What the UI and the vSphere Client are told a user may do, against the vCenter simulator's own
// privilege checks over real HTTPS: the capabilities of one VM, and the dynamic menu items for a
// selection of VMs. Hiding is only a courtesy: a hidden action called anyway is still refused.
// Users: the simulator's administrator (every privilege), a viewer with vCenter's default read
// privileges only, a protector with Lifeline's Protect on VM 0, and a restorer with Protect and
// Restore on VM 0 and Restore alone on VM 1.
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { VM_DYNAMIC_ITEMS_URI } from '../../plugin-server/src/api/routes/capabilities.js';
import type { HttpsReply } from './https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

interface DynamicItems {
  apiVersion: string;
  dynamicItems: Array<{ id: string; visible: boolean }>;
}

const NONE = { protect: false, restore: false, admin: false };

describe('capabilities and dynamic items against the vCenter simulator', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  let protector: string;
  let restorer: string;

  const urn = (i: number) => fx.urn(i);
  const capabilities = (token: string | null, vm: number): Promise<HttpsReply> => fx.call(token, 'GET', `/vms/${encodeURIComponent(urn(vm))}/capabilities`);
  /** The vSphere Client's dynamic-extension query, at the dynamicUri resolved against plugin.json. */
  const dynamicItems = (token: string | null, body: unknown): Promise<HttpsReply> => fx.callUrl(token, 'POST', new URL(VM_DYNAMIC_ITEMS_URI, fx.server.pluginUrl ?? '').href, body);
  const visible = async (token: string, vms: number[]): Promise<Record<string, boolean>> => {
    const reply = await dynamicItems(token, { apiVersion: '1.0.0', objectIds: vms.map(urn), locale: 'en-US' });
    expect(reply.status).withContext(reply.text).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    const answer = reply.json<DynamicItems>();
    expect(answer.apiVersion).toBe('1.0.0');
    return Object.fromEntries(answer.dynamicItems.map((i) => [i.id, i.visible]));
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 3 },
      users: [
        { username: 'viewer@vsphere.local', password: 'Viewer-1!' },
        { username: 'protector@vsphere.local', password: 'Protector-1!', vmPrivileges: { 0: [PRIVILEGES.protect] } },
        { username: 'restorer@vsphere.local', password: 'Restorer-1!', vmPrivileges: { 0: [PRIVILEGES.protect, PRIVILEGES.restore], 1: [PRIVILEGES.restore] } },
      ],
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
    protector = await fx.login('protector@vsphere.local', 'Protector-1!');
    restorer = await fx.login('restorer@vsphere.local', 'Restorer-1!');
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it("answers each user's own capabilities on a VM", async () => {
    const of = async (token: string, vm: number) => {
      const reply = await capabilities(token, vm);
      expect(reply.status).withContext(reply.text).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      return reply.json();
    };
    expect(await of(admin, 0)).toEqual({ protect: true, restore: true, admin: true });
    expect(await of(viewer, 0)).toEqual(NONE);
    expect(await of(protector, 0)).toEqual({ protect: true, restore: false, admin: false });
    expect(await of(protector, 1)).toEqual(NONE);
    expect(await of(restorer, 0)).toEqual({ protect: true, restore: true, admin: false });
    expect(await of(restorer, 1)).toEqual({ protect: false, restore: true, admin: false });
    expect(await of(restorer, 2)).toEqual(NONE);
  });

  it("answers each user's own capabilities at the inventory root, where a VM's privileges do not count", async () => {
    const of = async (token: string) => {
      const reply = await fx.call(token, 'GET', '/capabilities');
      expect(reply.status).withContext(reply.text).toBe(200);
      return reply.json();
    };
    expect(await of(admin)).toEqual({ protect: true, restore: true, admin: true });
    expect(await of(viewer)).toEqual(NONE);
    expect(await of(restorer)).toEqual(NONE);
    expect((await fx.call(null, 'GET', '/capabilities')).status).toBe(401);
  });

  it('asks vCenter once per question, through the cached session', async () => {
    expect((await capabilities(restorer, 0)).status).toBe(200);
    await fx.vc.callCounts(true);
    expect((await capabilities(restorer, 1)).status).toBe(200);
    expect(await fx.vc.callCounts()).toEqual({ HasPrivilegeOnEntities: 1 });
  });

  it('tells the vSphere Client which dynamic actions to show, per user', async () => {
    expect(await visible(admin, [0])).toEqual({ 'lifeline.vm.backupNow': true, 'lifeline.vm.recover': true, 'lifeline.vm.cloneAttach': true });
    expect(await visible(viewer, [0])).toEqual({ 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': false, 'lifeline.vm.cloneAttach': false });
    expect(await visible(protector, [0])).toEqual({ 'lifeline.vm.backupNow': true, 'lifeline.vm.recover': false, 'lifeline.vm.cloneAttach': false });
    expect(await visible(restorer, [0])).toEqual({ 'lifeline.vm.backupNow': true, 'lifeline.vm.recover': true, 'lifeline.vm.cloneAttach': true });
  });

  it('shows an action for several targets only when the user may run it on every one', async () => {
    expect(await visible(restorer, [0, 1])).toEqual({ 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': true, 'lifeline.vm.cloneAttach': true });
    expect(await visible(restorer, [1, 0])).toEqual({ 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': true, 'lifeline.vm.cloneAttach': true });
    expect(await visible(restorer, [0, 1, 2])).toEqual({ 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': false, 'lifeline.vm.cloneAttach': false });
    expect(await visible(admin, [0, 1, 2])).toEqual({ 'lifeline.vm.backupNow': true, 'lifeline.vm.recover': true, 'lifeline.vm.cloneAttach': true });
  });

  it('answers 401 without a session to the UI, and tells the vSphere Client 200 with every item hidden whatever its query', async () => {
    expectProblem(await capabilities(null, 0), 401, 'unauthenticated');
    expectProblem(await capabilities('not-a-session-5e2a', 0), 401, 'unauthenticated');

    const allHidden = { 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': false, 'lifeline.vm.cloneAttach': false };
    const otherVc = `urn:vmomi:VirtualMachine:vm-1:00000000-0000-4000-8000-000000000000`;
    for (const [token, body] of [
      [null, { objectIds: [urn(0)] }],
      ['not-a-session-5e2a', { objectIds: [urn(0)] }],
      [admin, { objectIds: [] }],
      [admin, {}],
      [admin, [urn(0)]],
      [admin, { objectIds: [urn(0), 'urn:vmomi:HostSystem:host-1:x'] }],
      [admin, { objectIds: [urn(0), otherVc] }],
      [admin, { objectIds: Array.from({ length: 101 }, () => urn(0)) }],
    ] as const) {
      const reply = await dynamicItems(token, body);
      expect(reply.status).withContext(`${JSON.stringify(body)}: ${reply.text}`).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      const answer = reply.json<DynamicItems>();
      expect(answer.apiVersion).toBe('1.0.0');
      expect(Object.fromEntries(answer.dynamicItems.map((i) => [i.id, i.visible]))).toEqual(allHidden);
    }
  });

  it('hides every dynamic item once the session has expired in vCenter', async () => {
    const session = await fx.login('protector@vsphere.local', 'Protector-1!');
    expect((await visible(session, [0]))['lifeline.vm.backupNow']).toBe(true);
    expect(await fx.vc.expireSessions('protector@vsphere.local')).toBeGreaterThan(0);
    expect(await visible(session, [0])).toEqual({ 'lifeline.vm.backupNow': false, 'lifeline.vm.recover': false, 'lifeline.vm.cloneAttach': false });
    protector = await fx.login('protector@vsphere.local', 'Protector-1!');
  });

  it('still refuses a hidden action called anyway, naming the privilege', async () => {
    expect((await visible(protector, [0]))['lifeline.vm.recover']).toBe(false);
    const revert = await fx.call(protector, 'POST', `/vms/${encodeURIComponent(urn(0))}/revert`, { pointId: 'any' });
    expect(expectProblem(revert, 403, 'forbidden')['privilege']).toBe(PRIVILEGES.restore);

    expect((await visible(viewer, [0]))['lifeline.vm.backupNow']).toBe(false);
    const backup = await fx.call(viewer, 'POST', `/vms/${encodeURIComponent(urn(0))}/backup`, {});
    expect(expectProblem(backup, 403, 'forbidden')['privilege']).toBe(PRIVILEGES.protect);
  });
});
