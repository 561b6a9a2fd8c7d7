// The server skeleton over real HTTPS: certificate, health, problem+json, shutdown. These need no
// vCenter; the vCenter-backed routes are in vms.spec.ts.
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { ValidationError } from '../../plugin-server/src/errors/index.js';
import { InFlightRequests, listenHttps, type HttpsListener } from '../../plugin-server/src/server/https-server.js';
import { problemHandler, notFoundHandler } from '../../plugin-server/src/api/problem.js';
import { requestContext, requestContextMiddleware } from '../../plugin-server/src/api/request-context.js';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import type { LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { httpsCall } from './https-client.js';
import { captureLog, noVcenter, removeDir, startTestServer, tempDir, testConfig } from './server-fixture.js';

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('Lifeline server', () => {
  let dataDir: string;
  let server: LifelineServer | null;
  const captured = captureLog();

  beforeEach(async () => {
    dataDir = await tempDir();
    captured.lines.length = 0;
    server = await startTestServer(testConfig(dataDir), captured.log, noVcenter);
  });

  afterEach(async () => {
    await server?.stop();
    await removeDir(dataDir);
  });

  it('listens on loopback with a certificate it made, and keeps that certificate', async () => {
    if (!server) throw new Error('no server');
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.thumbprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const reply = await httpsCall(`${server.url}/api/v1/health`);
    expect(reply.peerThumbprint).toBe(server.thumbprint);
    const onDisk = new X509Certificate(await readFile(server.certFile));
    expect(onDisk.fingerprint256).toBe(server.thumbprint);
    expect(onDisk.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect((await stat(join(dataDir, 'tls', 'server.key'))).mode & 0o777).toBe(0o600);
    expect(captured.records().filter((r) => r['msg'] === 'server certificate created').length).toBe(1);

    const first = server.thumbprint;
    await server.stop();
    server = await startTestServer(testConfig(dataDir), captured.log, noVcenter);
    expect(server.thumbprint).toBe(first);
    expect((await httpsCall(`${server.url}/api/v1/health`, { thumbprint: first })).status).toBe(200);
    expect(captured.records().filter((r) => r['msg'] === 'server certificate created').length).toBe(1);
  });

  it('answers health without a session', async () => {
    const reply = await httpsCall(`${server?.url}/api/v1/health`, { thumbprint: server?.thumbprint ?? '' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const body = reply.json();
    expect(body['status']).toBe('ok');
    expect(body['version']).toBe(server?.version);
    expect(typeof body['time']).toBe('string');
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses API calls without a session token with 401 problem+json', async () => {
    const reply = await httpsCall(`${server?.url}/api/v1/vms`);
    expect(reply.status).toBe(401);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.headers['www-authenticate']).toBe('vmware-api-session-id');
    const problem = reply.json();
    expect(problem['status']).toBe(401);
    expect(problem['code']).toBe('unauthenticated');
    expect(problem['title']).toBe('Unauthorized');
    expect(problem['detail']).toContain('vmware-api-session-id');
    expect(problem['instance']).toBe(`urn:uuid:${reply.headers['x-request-id']}`);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/v2/vms', '/elsewhere']) {
      const reply = await httpsCall(`${server?.url}${path}`);
      expect(reply.status).withContext(path).toBe(404);
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(reply.json()['code']).toBe('not-found');
    }
  });

  it('answers a malformed JSON body with 400 problem+json', async () => {
    const reply = await httpsCall(`${server?.url}/api/v1/vms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not json',
    });
    expect(reply.status).toBe(400);
    expect(reply.json()['code']).toBe('bad-request');
    expect(reply.text).not.toMatch(/\n\s+at /);
  });

  it('stops gracefully: the listener closes and stop() resolves', async () => {
    if (!server) throw new Error('no server');
    const port = server.port;
    await server.stop();
    await server.stop(); // a second stop is harmless
    expect(await portIsClosed(port)).toBeTrue();
    server = null;
    expect(captured.records().some((r) => r['msg'] === 'Lifeline server stopped')).toBeTrue();
  });
});

describe('server certificate', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  it('makes a certificate for both ends of TLS: the API\'s server and a paired site\'s client', async () => {
    const made = await ensureServerCertificate({ dataDir, log: captureLog().log });
    // Extended key usage: serverAuth (1.3.6.1.5.5.7.3.1) and clientAuth (1.3.6.1.5.5.7.3.2), which strict TLS servers require of a client certificate.
    expect([...new X509Certificate(made.certPem).keyUsage].sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const { log } = captureLog();
    const made = await ensureServerCertificate({ dataDir, log });
    const other = await ensureServerCertificate({ dataDir: join(dataDir, 'other'), log });
    await writeFile(made.keyFile, other.keyPem, { mode: 0o600 });
    await expectAsync(ensureServerCertificate({ dataDir, log })).toBeRejectedWith(jasmine.objectContaining({ code: 'tls-invalid' }));
  });

  it('restores mode 0600 on a key that others can read', async () => {
    const captured = captureLog();
    const made = await ensureServerCertificate({ dataDir, log: captured.log });
    const { chmod } = await import('node:fs/promises');
    await chmod(made.keyFile, 0o644);
    const again = await ensureServerCertificate({ dataDir, log: captured.log });
    expect(again.thumbprint).toBe(made.thumbprint);
    expect((await stat(made.keyFile)).mode & 0o777).toBe(0o600);
  });
});

describe('error middleware and shutdown', () => {
  let listener: HttpsListener | null = null;
  let dataDir: string;
  const captured = captureLog();
  const inFlight = new InFlightRequests();
  let aborted: unknown = null;
  let thumbprint = '';

  async function start(shutdownTimeoutMs: number): Promise<string> {
    const app = express();
    app.use(requestContextMiddleware(captured.log, inFlight, () => performance.now()));
    app.get('/boom', () => {
      throw new Error('database handle 0xdeadbeef went away');
    });
    app.get('/invalid', () => {
      throw new ValidationError('offset must be an integer', { parameter: 'offset' });
    });
    app.get('/slow', async (req, res) => {
      const { signal } = requestContext(req);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 400);
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          clearTimeout(timer);
          resolve();
        });
      });
      if (!signal.aborted) res.json({ done: true });
    });
    app.use(notFoundHandler());
    app.use(problemHandler(captured.log));
    const cert = await ensureServerCertificate({ dataDir, log: captured.log });
    thumbprint = cert.thumbprint;
    listener = await listenHttps(app, inFlight, {
      host: '127.0.0.1',
      port: 0,
      keyPem: cert.keyPem,
      certPem: cert.certPem,
      log: captured.log,
      shutdownTimeoutMs,
    });
    return `https://127.0.0.1:${listener.port}`;
  }

  beforeEach(async () => {
    dataDir = await tempDir();
    captured.lines.length = 0;
    aborted = null;
  });
  afterEach(async () => {
    await listener?.stop();
    listener = null;
    await removeDir(dataDir);
  });

  it('turns an unexpected error into a 500 problem with an error id and no internals', async () => {
    const url = await start(1000);
    const reply = await httpsCall(`${url}/boom`, { thumbprint });
    expect(reply.status).toBe(500);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = reply.json();
    expect(problem['code']).toBe('internal');
    expect(problem['errorId']).toBe(reply.headers['x-request-id'] as string);
    expect(problem['detail']).toContain(problem['errorId'] as string);
    expect(reply.text).not.toContain('deadbeef');
    expect(reply.text).not.toContain('.js:');
    expect(Object.keys(problem).sort()).toEqual(['code', 'detail', 'errorId', 'instance', 'status', 'title', 'type']);

    const logged = captured.records().find((r) => r['msg'] === 'request failed');
    expect(logged?.['errorId']).toBe(problem['errorId']);
    expect(logged?.['level']).toBe('error');
    expect(String(logged?.['stack'])).toContain('deadbeef');
  });

  it('maps a LifelineError code to its status and keeps its details', async () => {
    const url = await start(1000);
    const reply = await httpsCall(`${url}/invalid`, { thumbprint });
    expect(reply.status).toBe(400);
    const problem = reply.json();
    expect(problem['code']).toBe('validation');
    expect(problem['detail']).toBe('offset must be an integer');
    expect(problem['parameter']).toBe('offset');
    expect(problem['errorId']).toBeUndefined();
  });

  it('lets a request in flight finish, while refusing new connections', async () => {
    const url = await start(5000);
    const port = listener?.port ?? 0;
    const slow = httpsCall(`${url}/slow`, { thumbprint });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = listener?.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(await portIsClosed(port)).toBeTrue();
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.json()['done']).toBeTrue();
    await expectAsync(stopped).toBeResolved();
    expect(aborted).toBeNull();
  });

  it('cuts off a request that outlives the shutdown timeout and aborts its signal', async () => {
    const url = await start(50);
    const slow = httpsCall(`${url}/slow`, { thumbprint }).then(
      () => 'answered',
      () => 'cut off',
    );
    await new Promise((r) => setTimeout(r, 50));
    const began = performance.now();
    await listener?.stop();
    expect(performance.now() - began).toBeLessThan(350);
    expect(await slow).toBe('cut off');
    expect(aborted).toEqual(jasmine.any(Error));
  });
});
