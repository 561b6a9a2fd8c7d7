// Before vCenter has accepted a token, the caller is anonymous: whatever went wrong on the way to
// vCenter (here a connection refused by a port nothing listens on) is told to the log, with the
// vCenter's URL and the error, and to the caller only as a generic problem with a request id.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createVcenterCloner } from '../../plugin-server/src/server/vcenter-cloner.js';
import type { LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { httpsCall } from './https-client.js';
import { captureLog, removeDir, startTestServer, tempDir, testConfig, type CapturedLog } from './server-fixture.js';
import { expectProblem } from './vcenter-server-fixture.js';

const GUID = '3f0e2d1c-4b5a-4968-8776-a5b4c3d2e1f0';

describe('an anonymous caller while vCenter cannot be reached', () => {
  let dataDir: string;
  let server: LifelineServer;
  let captured: CapturedLog;
  let port: number;

  beforeAll(async () => {
    // A port that was free a moment ago: connecting to it is refused.
    port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    dataDir = await tempDir('lifeline-unreachable-');
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, 'unused', { mode: 0o600 });
    const config = testConfig(dataDir, {
      LIFELINE_VCENTER_GUID: GUID,
      LIFELINE_VCENTER_URL: `https://127.0.0.1:${port}/sdk`,
      LIFELINE_VCENTER_THUMBPRINT: Array.from({ length: 32 }, () => 'AB').join(':'),
      LIFELINE_VCENTER_USER: 'svc@vsphere.local',
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    });
    captured = captureLog();
    server = await startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }));
  });

  afterAll(async () => {
    await server?.stop();
    await removeDir(dataDir);
  });

  it('answers a generic 502 naming neither the vCenter nor the error, and logs both', async () => {
    const reply = await httpsCall(`${server.url}/api/v1/jobs`, { thumbprint: server.thumbprint, headers: { 'vmware-api-session-id': 'any token at all' } });
    const problem = expectProblem(reply, 502, 'vcenter-unreachable');
    for (const secret of [String(port), '127.0.0.1', GUID, 'ECONNREFUSED', 'sdk']) expect(reply.text).not.toContain(secret);
    expect(String(problem['detail'])).toContain(String(reply.headers['x-request-id']));
    const logged = captured.records().find((r) => r['msg'] === 'the session token could not be checked with vCenter');
    expect(logged).toEqual(jasmine.objectContaining({ vcenter: GUID, url: jasmine.stringMatching(`127.0.0.1:${port}`), error: jasmine.stringMatching(/ECONNREFUSED/) }));
    expect(captured.lines.join('\n')).not.toContain('any token at all');
  });
});
