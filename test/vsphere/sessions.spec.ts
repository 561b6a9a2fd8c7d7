import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import {
  connectVcenter,
  openVcenter,
  ThumbprintMismatchError,
  VimFaultError,
  VimLoginError,
  type Extension,
  type Vcenter,
} from '../../plugin-server/src/vsphere/index.js';
import { callsOf, connect, flatFileOf } from './vcenter-fixture.js';

const OTHER_THUMBPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

describe('vSphere adapter: TLS pinning, sessions, privileges, extension', () => {
  let vc: Vcsim;
  let admin: Vcenter;

  beforeAll(async () => {
    vc = await startVcsim({
      vms: 2,
      disks: 1,
      diskSize: '1MiB',
      users: [{ username: 'operator@vsphere.local', password: 'Operator-1!', privileges: ['System.View', 'System.Read'] }],
    });
    admin = await connect(vc);
  }, 360_000);

  afterAll(async () => {
    await admin?.logout();
    await vc?.stop();
  });

  afterEach(async () => {
    await vc.clearFaults();
  });

  it('refuses a server whose certificate has another thumbprint, naming both, before sending anything', async () => {
    const before = await vc.callCounts();
    const err: unknown = await connectVcenter({ url: vc.url, thumbprint: OTHER_THUMBPRINT, user: vc.username, password: vc.password }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ThumbprintMismatchError);
    const mismatch = err as ThumbprintMismatchError;
    expect(mismatch.code).toBe('vsphere-thumbprint-mismatch');
    expect(mismatch.message).toContain(vc.thumbprint);
    expect(mismatch.message).toContain(OTHER_THUMBPRINT);
    expect(await vc.callCounts()).toEqual(before);
  });

  it('accepts the thumbprint in lower case and without colons', async () => {
    const v = await connectVcenter({ url: vc.baseUrl, thumbprint: vc.thumbprint.replace(/:/g, '').toLowerCase(), user: vc.username, password: vc.password });
    expect(v.instanceUuid).toBe(vc.instanceUuid);
    await v.logout();
  });

  it('says a wrong password is wrong, without repeating it', async () => {
    const err: unknown = await connect(vc, vc.username, 'Not-The-Password-42').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VimLoginError);
    expect((err as Error).message).toContain('wrong user name or password');
    expect((err as Error).message).not.toContain('Not-The-Password-42');
  });

  it('logs in again by itself when vCenter has forgotten the session, once for concurrent calls', async () => {
    const v = await connect(vc);
    const logins = await callsOf(vc, 'Login');
    expect(await vc.expireSessions()).toBeGreaterThan(0);
    const results = await Promise.all([v.listVms(), v.listVms(), v.inventory()]);
    expect(results[0].map((x) => x.moref).sort()).toEqual(vc.vms.map((x) => x.moref).sort());
    expect(results[2].vms.length).toBe(2);
    expect((await callsOf(vc, 'Login')) - logins).toBe(1);
    // The datastore file path needs the session cookie too: a read after expiry logs in again.
    await vc.expireSessions();
    const vm = vc.vms[0]!;
    const bytes = await v.readRange(flatFileOf(vm, vm.disks[0]!), 0, 4096);
    expect(bytes.length).toBe(4096);
    await v.logout();
    // admin's session was expired as well; it comes back on its next call.
    expect((await admin.listVms()).length).toBe(2);
  });

  it('asks for the password again at each new login, so a changed service password needs no reconnect', async () => {
    let current = vc.password;
    let asked = 0;
    const v = await connectVcenter({ url: vc.url, thumbprint: vc.thumbprint, user: vc.username, password: () => Promise.resolve((asked++, current)) });
    try {
      expect(asked).toBe(1);
      // While vCenter keeps the session, nothing is read again.
      expect((await v.listVms()).length).toBe(2);
      expect(asked).toBe(1);
      // The session is forgotten and the file now holds a wrong password: the new login uses it.
      current = 'Not-The-Password-42';
      await vc.expireSessions();
      const err: unknown = await v.listVms().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VimLoginError);
      expect((err as Error).message).not.toContain('Not-The-Password-42');
      // Put right, the next call logs in with it, on the same connection.
      current = vc.password;
      expect((await v.listVms()).length).toBe(2);
      expect(asked).toBe(3);
    } finally {
      await v.logout();
      // admin's session was expired as well; it comes back on its next call.
      expect((await admin.listVms()).length).toBe(2);
    }
  });

  it('keeps an idle session alive', async () => {
    const v = await connectVcenter({ url: vc.url, thumbprint: vc.thumbprint, user: vc.username, password: vc.password, keepAliveMs: 1000 });
    const before = await callsOf(vc, 'CurrentTime');
    await new Promise((r) => setTimeout(r, 1800));
    expect((await callsOf(vc, 'CurrentTime')) - before).toBeGreaterThanOrEqual(1);
    await v.logout();
  });

  it('turns a clone ticket from the vSphere Client endpoint into a session of the same user', async () => {
    const token = await vc.soapLogin('operator@vsphere.local', 'Operator-1!');
    const res = await vc.request('POST', '/api/ui/vcenter/session/clone-ticket', JSON.stringify({ vc_guid: vc.instanceUuid }), {
      'content-type': 'application/json',
      'vmware-api-session-id': token,
    });
    expect(res.status).toBe(200);
    const ticket = (JSON.parse(res.body.toString('utf8')) as { session_clone_ticket: string }).session_clone_ticket;
    const user = await openVcenter({ url: vc.url, thumbprint: vc.thumbprint, keepAliveMs: 0 });
    const session = await user.cloneSession(ticket);
    expect(session.userName).toBe('operator@vsphere.local');
    expect(user.user?.userName).toBe('operator@vsphere.local');
    expect((await user.listVms()).length).toBe(2);

    // A ticket is good once.
    const again = await openVcenter({ url: vc.url, thumbprint: vc.thumbprint, keepAliveMs: 0 });
    const err: unknown = await again.cloneSession(ticket).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again.isInvalidLogin(err)).toBeTrue();
    again.close();

    // A cloned session is the user's: when it ends, the caller hears so instead of a new login.
    await vc.expireSessions('operator@vsphere.local');
    const lost: unknown = await user.listVms().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(user.isNotAuthenticated(lost)).toBeTrue();
    user.close();
  });

  it('clones its own session with AcquireCloneTicket', async () => {
    const ticket = await admin.acquireCloneTicket();
    const twin = await openVcenter({ url: vc.url, thumbprint: vc.thumbprint, keepAliveMs: 0 });
    expect((await twin.cloneSession(ticket)).userName).toBe(vc.username);
    await twin.logout();
  });

  it("checks a session's privileges with HasPrivilegeOnEntities", async () => {
    const operator = await connect(vc, 'operator@vsphere.local', 'Operator-1!');
    const vm = { type: 'VirtualMachine', value: vc.vms[0]!.moref };
    const privs = ['System.View', 'VirtualMachine.State.CreateSnapshot'];
    const forOperator = await admin.hasPrivileges(vm, operator.user!.key, privs);
    expect(forOperator.get('System.View')).toBeTrue();
    expect(forOperator.get('VirtualMachine.State.CreateSnapshot')).toBeFalse();
    const forAdmin = await admin.hasPrivilegeOnEntities([vm, admin.rootFolder], admin.user!.key, privs);
    expect([...forAdmin.keys()].sort()).toEqual([`Folder:${admin.rootFolder.value}`, `VirtualMachine:${vm.value}`]);
    for (const granted of forAdmin.values()) expect([...granted.values()]).toEqual([true, true]);
    // And vCenter enforces them.
    const refused: unknown = await operator.createSnapshot(vm.value, { name: 'not allowed' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(VimFaultError);
    expect((refused as VimFaultError).faultName).toBe('NoPermission');
    await operator.logout();
  });

  it('registers, finds, updates and unregisters its extension', async () => {
    const key = 'com.example.lifeline.test';
    const ext: Extension = {
      key,
      version: '1.2.0.7',
      description: { label: 'Lifeline', summary: 'Backup and disaster recovery' },
      company: 'Example',
      type: 'com.example',
      clients: [
        {
          version: '1.2.0.7',
          description: { label: 'Lifeline', summary: 'Lifeline plugin' },
          company: 'Example',
          type: 'vsphere-client-remote',
          url: 'https://lifeline.example.com:8443/ui/plugin.json',
        },
      ],
      servers: [
        {
          url: 'https://lifeline.example.com:8443/ui/plugin.json',
          description: { label: 'Lifeline', summary: 'Lifeline plugin server' },
          company: 'Example',
          type: 'MANIFEST_SERVER',
          adminEmail: ['admin@example.com'],
          serverThumbprint: vc.thumbprint,
        },
      ],
      privileges: [
        { privId: `${key}.Protect`, privGroupName: key },
        { privId: `${key}.Restore`, privGroupName: key },
      ],
      resources: [{ locale: 'en', module: key, data: { 'Protect.label': 'Protect' } }],
    };
    expect(await admin.findExtension(key)).toBeUndefined();
    await admin.registerExtension(ext);
    const found = await admin.findExtension(key);
    expect(found?.version).toBe('1.2.0.7');
    expect(found?.description).toEqual(ext.description);
    expect(found?.clients).toEqual(ext.clients);
    expect(found?.servers[0]?.serverThumbprint).toBe(vc.thumbprint);
    expect(found?.servers[0]?.adminEmail).toEqual(['admin@example.com']);
    expect(found?.privileges.map((p) => p.privId)).toEqual([`${key}.Protect`, `${key}.Restore`]);

    const dup: unknown = await admin.registerExtension(ext).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((dup as VimFaultError).faultName).toBe('InvalidArgument');

    await admin.updateExtension({ ...ext, version: '1.2.0.8' });
    expect((await admin.findExtension(key))?.version).toBe('1.2.0.8');
    await admin.unregisterExtension(key);
    expect(await admin.findExtension(key)).toBeUndefined();
    const gone: unknown = await admin.unregisterExtension(key).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((gone as VimFaultError).faultName).toBe('NotFound');
  });

  it('keeps the fault name and message of a SOAP fault', async () => {
    await vc.injectFault({ method: 'RetrievePropertiesEx', fault: 'InvalidState', message: 'vCenter is busy' });
    const err: unknown = await admin.listVms().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VimFaultError);
    expect((err as VimFaultError).code).toBe('vsphere-fault');
    expect((err as VimFaultError).faultName).toBe('InvalidState');
    expect((err as VimFaultError).message).toContain('vCenter is busy');
  });

  it('gives up waiting when the caller aborts', async () => {
    await vc.injectDelay('RetrievePropertiesEx', 5000);
    const started = Date.now();
    const err: unknown = await admin.listVms(AbortSignal.timeout(200)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends the session on logout', async () => {
    const v = await connect(vc);
    const key = v.user!.key;
    const live = async (): Promise<string[]> =>
      (JSON.parse((await vc.request('GET', '/lifeline-sim/sessions')).body.toString('utf8')) as { key: string }[]).map((s) => s.key);
    expect(await live()).toContain(key);
    await v.logout();
    expect(await live()).not.toContain(key);
    expect(v.user).toBeUndefined();
  });
});
