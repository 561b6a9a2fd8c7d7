// The OpenAPI document against the server it describes: every route the application mounts under
// /api/v1 is in it and nothing else, it is served without a session, and the check the API suites
// run on every answer refuses what the document does not describe.
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { createApp, API_PREFIX } from '../../plugin-server/src/api/app.js';
import type { Authorizer } from '../../plugin-server/src/api/auth/authorize.js';
import type { ApiServices } from '../../plugin-server/src/api/routes/api-services.js';
import { OPENAPI_PATH, openApiDocument } from '../../plugin-server/src/api/openapi/document.js';
import type { LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { httpsCall } from '../server/https-client.js';
import { captureLog, noVcenter, removeDir, startTestServer, tempDir, testConfig } from '../server/server-fixture.js';
import { documentedOperations, responseViolations as check, type ObservedResponse } from './openapi-validator.js';

/** The check the suites run, on answers made up here (not counted in the run's figures). */
const responseViolations = (r: ObservedResponse): string[] => check(r, { made: true });

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly Layer[] };
  readonly matchers?: ReadonlyArray<(path: string) => unknown>;
}

/** `METHOD /api/v1/path/{}` of every route of a router and the routers it uses. */
function routesOf(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = layer.route.path.replace(/:[A-Za-z]+/g, '{}');
      return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${API_PREFIX}${path}`);
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

/** The routes the application mounts under /api/v1, built with stand-ins nothing calls. */
function mountedApiRoutes(): string[] {
  const { log } = captureLog();
  const services = { log, clock: systemClock, shutdown: new AbortController().signal, sseHeartbeatMs: 1000 } as unknown as ApiServices;
  const authorizer = { require: () => (_req: unknown, _res: unknown, next: () => void) => next() } as unknown as Authorizer<never>;
  const app = createApp({ log, version: '1.2.3', authorizer, tracker: { track: () => () => undefined }, services, uiDir: null });
  // Express 5 keeps the application's layers on app.router; its types do not say what a layer holds.
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const api = stack.find((l) => l.handle?.stack && l.matchers?.some((m) => m(`${API_PREFIX}/health`) !== false));
  if (!api?.handle?.stack) throw new Error(`no router is mounted at ${API_PREFIX}`);
  return routesOf(api.handle.stack);
}

const shape = (operation: string): string => operation.replace(/\{[^}]+\}/g, '{}');

describe('The OpenAPI document', () => {
  it('has every route the server mounts under /api/v1, and no route it does not', () => {
    const mounted = new Set(mountedApiRoutes());
    const documented = new Set(documentedOperations().map(shape));
    expect(mounted.size).toBeGreaterThan(30);
    expect([...mounted].filter((r) => !documented.has(r)).sort()).withContext('mounted but not documented').toEqual([]);
    // Express answers HEAD with a GET route; the document names HEAD where its headers matter.
    expect([...documented].filter((r) => !mounted.has(r) && !(r.startsWith('HEAD ') && mounted.has(r.replace(/^HEAD/, 'GET')))).sort())
      .withContext('documented but not mounted')
      .toEqual([]);
  });

  it('is OpenAPI 3.1 as Redocly\'s recommended rules read it', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(openApiDocument('1.2.3')), absoluteRef: '/openapi.json', config });
    const described = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    // Warnings that do not apply: health and this document cannot fail with a 4xx, and the job
    // events schema is referenced from the event streams' descriptions, which OpenAPI 3.1 cannot type.
    const accepted = [/operation-4xx-response: .* at #\/paths\/~1api~1v1~1(health|openapi\.json)\/get\/responses$/, /no-unused-components: Component: "JobEvent"/];
    expect(described.filter((d) => !accepted.some((a) => a.test(d)))).toEqual([]);
  });

  it('is OpenAPI 3.1 whose every reference resolves', () => {
    const doc = openApiDocument('1.2.3');
    expect(doc['openapi']).toBe('3.1.0');
    const text = JSON.stringify(doc);
    const refs = [...new Set([...text.matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] ?? ''))];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const target = ref.split('/').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      expect(target).withContext(ref).toBeDefined();
    }
  });

  describe('as the API suites check answers with it', () => {
    const job = {
      id: 'j-1',
      kind: 'backup',
      target: { type: 'VirtualMachine', id: 'vm-1', vcenterGuid: null },
      state: 'queued',
      priority: 0,
      params: {},
      limitKeys: [],
      phase: null,
      phases: [],
      progress: { bytesDone: 0, bytesTotal: null, rateBytesPerSecond: null, etaSeconds: null },
      checkpoint: null,
      result: null,
      attempt: 0,
      maxAttempts: 3,
      nextAttemptAt: null,
      cancelRequested: false,
      error: null,
      cleanup: 'none',
      requestedBy: 'alice',
      log: { lines: 0, dropped: 0 },
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      updatedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
      deadline: null,
      yieldsWhileQueued: false,
    };
    const jsonType = { 'content-type': 'application/json; charset=utf-8' };
    const answer = (over: Partial<ObservedResponse> & { json?: unknown }): ObservedResponse => ({
      method: 'POST',
      url: 'https://127.0.0.1:1/api/v1/jobs/j-1/cancel',
      status: 202,
      headers: jsonType,
      body: JSON.stringify(over.json ?? job),
      ...over,
    });

    it('accepts an answer the document describes', () => {
      expect(responseViolations(answer({}))).toEqual([]);
    });

    it('refuses a status the operation does not list', () => {
      expect(responseViolations(answer({ status: 201 })).join()).toContain('answered 201, which the document does not list');
    });

    it('refuses a body that lacks a member, has one too many, or has one of the wrong type', () => {
      const { finishedAt: _gone, ...lacking } = job;
      expect(responseViolations(answer({ json: lacking })).join()).toContain("must have required property 'finishedAt'");
      expect(responseViolations(answer({ json: { ...job, secret: 'x' } })).join()).toContain('must NOT have additional properties');
      expect(responseViolations(answer({ json: { ...job, state: 'paused' } })).join()).toContain('/state must be equal to one of the allowed values');
    });

    it('refuses a media type the response does not name', () => {
      expect(responseViolations(answer({ headers: { 'content-type': 'text/html' } })).join()).toContain('came as text/html');
    });

    it('refuses an answer other than 404 from a route it does not have', () => {
      const unknown = { method: 'GET', url: '/api/v1/secrets', headers: { 'content-type': 'application/problem+json' } };
      const problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No resource', instance: 'urn:uuid:1', code: 'not-found' };
      expect(responseViolations({ ...unknown, status: 404, body: JSON.stringify(problem) })).toEqual([]);
      expect(responseViolations({ ...unknown, status: 200, body: '{}' }).join()).toContain('is not in the OpenAPI document');
    });

    it('refuses a problem without its code', () => {
      const problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such job', instance: 'urn:uuid:1' };
      const r = answer({ method: 'GET', url: '/api/v1/jobs/j-9', status: 404, headers: { 'content-type': 'application/problem+json' }, json: problem });
      expect(responseViolations(r).join()).toContain("must have required property 'code'");
    });
  });

  describe('as the server serves it', () => {
    let dataDir: string;
    let server: LifelineServer;

    beforeAll(async () => {
      dataDir = await tempDir();
      server = await startTestServer(testConfig(dataDir), captureLog().log, noVcenter);
    });

    afterAll(async () => {
      await server.stop();
      await removeDir(dataDir);
    });

    it('answers GET /api/v1/openapi.json without a session, with the document of its version', async () => {
      const reply = await httpsCall(`${server.url}${OPENAPI_PATH}`, { thumbprint: server.thumbprint });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument(server.version))) as Record<string, unknown>);
      expect(reply.json<{ info: { version: string } }>().info.version).toBe(server.version);
    });
  });
});
