// The privilege check with the simulator's real HasPrivilegeOnEntities: a route that needs a
// privilege on a VM answers 403 naming it to a user who lacks it, and runs for one who has it.
// The route is the suite's own (listing VMs needs only System.Read, which every user has); every
// other piece is the server's.
import express, { Router } from 'express';
import { Authorizer, authorizedCall } from '../../plugin-server/src/api/auth/authorize.js';
import { SessionCache } from '../../plugin-server/src/api/auth/session-cache.js';
import { InFlightRequests, listenHttps, type HttpsListener } from '../../plugin-server/src/server/https-server.js';
import { notFoundHandler, problemHandler } from '../../plugin-server/src/api/problem.js';
import { requestContextMiddleware } from '../../plugin-server/src/api/request-context.js';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import { createVcenterCloner, type VcenterUserSession } from '../../plugin-server/src/server/vcenter-cloner.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { httpsCall } from './https-client.js';
import { captureLog, removeDir, tempDir } from './server-fixture.js';

const SNAPSHOT = 'VirtualMachine.State.CreateSnapshot';

describe('privilege checks against the vCenter simulator', () => {
  let vc: Vcsim;
  let dataDir: string;
  let listener: HttpsListener;
  let sessions: SessionCache<VcenterUserSession>;
  let url: string;
  let thumbprint: string;
  const captured = captureLog();

  beforeAll(async () => {
    vc = await startVcsim({ vms: 2 });
    const [vm0, vm1] = vc.vms;
    await vc.addUser({
      username: 'operator@vsphere.local',
      password: 'Operator-1!',
      privileges: ['System.View'],
      entityPrivileges: { [vm0?.moref ?? '']: [SNAPSHOT] },
    });
    expect(vm1).toBeDefined();
    dataDir = await tempDir();
    const cert = await ensureServerCertificate({ dataDir, log: captured.log });
    thumbprint = cert.thumbprint;
    sessions = new SessionCache({ cloner: createVcenterCloner({ log: captured.log }), idleMs: 60_000, log: captured.log });
    const target = { guid: vc.instanceUuid, url: vc.baseUrl, thumbprint: vc.thumbprint };
    const auth = new Authorizer(sessions, new Map([[target.guid, target]]));

    const router = Router();
    router.post(
      '/vms/:moref/snapshot-check',
      auth.require({ privileges: [SNAPSHOT], entity: (req) => ({ type: 'VirtualMachine', value: String(req.params['moref']) }) }),
      (req, res) => {
        res.json({ user: authorizedCall<VcenterUserSession>(req).session.userName });
      },
    );
    const app = express();
    const inFlight = new InFlightRequests();
    app.use(requestContextMiddleware(captured.log, inFlight, () => performance.now()));
    app.use('/api/v1', router);
    app.use(notFoundHandler());
    app.use(problemHandler(captured.log));
    listener = await listenHttps(app, inFlight, {
      host: '127.0.0.1',
      port: 0,
      keyPem: cert.keyPem,
      certPem: cert.certPem,
      log: captured.log,
      shutdownTimeoutMs: 2000,
    });
    url = `https://127.0.0.1:${listener.port}`;
  }, 900_000);

  afterAll(async () => {
    await listener?.stop();
    await sessions?.close();
    await vc?.stop();
    await removeDir(dataDir);
  });

  const check = (token: string, moref: string) =>
    httpsCall(`${url}/api/v1/vms/${moref}/snapshot-check`, { method: 'POST', headers: { 'vmware-api-session-id': token }, thumbprint, documented: false });

  it('answers 403 problem+json naming the missing privilege', async () => {
    const token = await vc.soapLogin('operator@vsphere.local', 'Operator-1!');
    const vm1 = vc.vms[1]?.moref ?? '';
    const reply = await check(token, vm1);
    expect(reply.status).withContext(reply.text).toBe(403);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = reply.json();
    expect(problem['code']).toBe('forbidden');
    expect(problem['privilege']).toBe(SNAPSHOT);
    expect(problem['entity']).toBe(`VirtualMachine:${vm1}`);
    expect(problem['detail']).toContain(SNAPSHOT);
  });

  it('runs the route for a user who holds the privilege on that VM', async () => {
    const token = await vc.soapLogin('operator@vsphere.local', 'Operator-1!');
    const reply = await check(token, vc.vms[0]?.moref ?? '');
    expect(reply.status).withContext(reply.text).toBe(200);
    expect(reply.json()['user']).toBe('operator@vsphere.local');
  });

  it('runs the route for the administrator on any VM', async () => {
    const token = await vc.soapLogin();
    const reply = await check(token, vc.vms[1]?.moref ?? '');
    expect(reply.status).withContext(reply.text).toBe(200);
    expect(String(reply.json()['user']).toLowerCase()).toBe(vc.username.toLowerCase());
  });
});
