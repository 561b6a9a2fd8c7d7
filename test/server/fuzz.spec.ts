// Malformed requests over every route of the API: wrong methods, bodies of the wrong type or shape
// (huge, negative and fractional numbers, deeply nested JSON, garbage, other content types), odd
// ids, bad Range, Last-Event-ID and query values, garbage session headers, and the administrator's
// session on the same. About 2,000 of them, drawn from a seeded generator so a failure can be
// replayed, against a real server with the vCenter simulator and a real store. Every answer must
// come (none hangs past its timeout) and none may be a 5xx; the server stays healthy.
import { request } from 'node:https';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

const REQUESTS = 2000;
const PARALLEL = 8;
const TIMEOUT_MS = 15_000;
const SEED = Number(process.env['LIFELINE_FUZZ_SEED'] ?? 1905);

/** Every route of /api/v1, as the routers declare them. */
const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/health'],
  ['GET', '/vms'],
  ['GET', '/vms/:vm/capabilities'],
  ['GET', '/vms/:vm/protection'],
  ['PUT', '/vms/:vm/protection'],
  ['DELETE', '/vms/:vm/protection'],
  ['POST', '/vms/:vm/backup'],
  ['GET', '/vms/:vm/points'],
  ['GET', '/vms/:vm/revert'],
  ['POST', '/vms/:vm/revert'],
  ['POST', '/vms/:vm/revert/cancel'],
  ['POST', '/vms/:vm/revert/commit'],
  ['GET', '/vms/:vm/attachments'],
  ['GET', '/compliance'],
  ['GET', '/hook-sets'],
  ['GET', '/policies'],
  ['POST', '/policies'],
  ['GET', '/policies/:policy'],
  ['PUT', '/policies/:policy'],
  ['PATCH', '/policies/:policy'],
  ['DELETE', '/policies/:policy'],
  ['GET', '/jobs'],
  ['GET', '/jobs/:job'],
  ['POST', '/jobs/:job/cancel'],
  ['GET', '/jobs/:job/events'],
  ['GET', '/events'],
  ['GET', '/points/:point'],
  ['DELETE', '/points/:point'],
  ['POST', '/points/:point/retention'],
  ['GET', '/points/:point/disks/:disk/raw'],
  ['GET', '/points/:point/disks/:disk/vmdk'],
  ['POST', '/points/:point/disks/:disk/download'],
  ['GET', '/downloads/:ticket'],
  ['POST', '/points/:point/instantiate'],
  ['POST', '/points/:point/attach'],
  ['GET', '/attachments/:attachment'],
  ['DELETE', '/attachments/:attachment'],
  ['GET', '/audit'],
  ['GET', '/storage'],
  ['GET', '/settings'],
  ['POST', '/maintenance'],
  ['GET', '/notifications/channels'],
  ['POST', '/notifications/channels'],
  ['GET', '/notifications/channels/:channel'],
  ['PUT', '/notifications/channels/:channel'],
  ['DELETE', '/notifications/channels/:channel'],
  ['POST', '/notifications/channels/:channel/test'],
  ['GET', '/notifications/deliveries'],
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'];

/** mulberry32: small, seeded, good enough to pick cases. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe('malformed requests over every route', () => {
  let fx: VcenterServer;
  let admin: string;
  let protector: string;
  let policyId: string;

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, diskSize: '4MiB' },
      users: [{ username: 'protector@vsphere.local', password: 'Protector-1!', vmPrivileges: { 0: [PRIVILEGES.protect] } }],
      dataDirPrefix: 'lifeline-fuzz-',
      backup: { passphrase: 'fuzz passphrase' },
    });
    admin = await fx.login();
    protector = await fx.login('protector@vsphere.local', 'Protector-1!');
    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Fuzzed', rpoSeconds: 3600, retention: { keepLast: 4 } });
    expect(policy.status).toBe(201);
    policyId = String(policy.json()['id']);
  }, 180_000);

  afterAll(async () => {
    await fx?.stop();
  });

  const send = (c: Case): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${fx.server.url}/api/v1${c.path}`,
        { method: c.method, headers: c.headers, agent: false, rejectUnauthorized: false, timeout: TIMEOUT_MS },
        (res) => {
          // Only the status matters; streams (events, disks) are not read to their end.
          resolve(res.statusCode ?? 0);
          res.destroy();
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(new Error(`${c.method} ${c.path.slice(0, 200)}: ${err.message}`)));
      req.end(c.body);
    });

  it('answers every one without a 5xx or a hang, and stays healthy', async () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const odd = [
      '', '0', '-1', '1e309', '9'.repeat(40), '..', '%2e%2e%2f', '%00', '%ZZ', '__proto__', 'constructor', 'null', 'undefined',
      'a'.repeat(3000), '%F0%9F%92%A9', 'urn:vmomi:VirtualMachine:vm-1:not-a-guid', 'urn:vmomi:VirtualMachine::00000000-0000-0000-0000-000000000000',
      `urn:vmomi:VirtualMachine:${fx.moref(0)}:00000000-0000-4000-8000-000000000000`, '20250102-030405-1a2b3c4d', '20250102-030405-ZZZZZZZZ',
      '00000000-0000-0000-0000-000000000000', '%20', "'; DROP TABLE jobs; --", '<script>', '\\', '*', '?x=1',
    ];
    const real = {
      vm: [encodeURIComponent(fx.urn(0)), fx.moref(1), encodeURIComponent(fx.urn(1))],
      policy: [policyId, policyId, '00000000-0000-4000-8000-000000000000'],
      job: ['00000000-0000-4000-8000-000000000000'],
      point: ['20250102-030405-1a2b3c4d'],
      disk: ['0', '1', '2000'],
      ticket: ['x'.repeat(43)],
      attachment: ['00000000-0000-4000-8000-000000000000'],
    } as Record<string, string[]>;
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const bodies: Array<() => { body: Buffer; type: string }> = [
      () => ({ body: Buffer.from(nested(5000 + Math.floor(random() * 50_000), '[', ']')), type: 'application/json' }),
      () => ({ body: Buffer.from(nested(20_000, '{"a":', '}')), type: 'application/merge-patch+json' }),
      () => ({ body: json({ name: 'x', rpoSeconds: 1e308, retention: { keepLast: -1 }, immutabilityDays: 0.5 }), type: 'application/json' }),
      () => ({ body: json({ rpoSeconds: -Number.MAX_SAFE_INTEGER - 2, retention: { daily: '7' }, windows: [{ start: '25:99' }] }), type: 'application/merge-patch+json' }),
      () => ({ body: json({ policyId: ['a'], powerOff: 'yes', pointId: 42, format: { raw: true }, retainUntil: '9999-99-99T99:99Z' }), type: 'application/json' }),
      () => ({ body: json({ name: 'fuzz', networks: { constructor: 'x', __proto__: 'y' }, datastore: ']evil[', folder: '../..', vm: 'vm-1', disks: [-1, 1e20, 'a'] }), type: 'application/json' }),
      () => ({ body: json(pick([null, 0, -1, 1e308, 'string', [], [[[]]], true])), type: 'application/json' }),
      () => ({ body: Buffer.from('{"unterminated": '), type: 'application/json' }),
      () => ({ body: Buffer.from('name=x&rpoSeconds=1'), type: 'application/x-www-form-urlencoded' }),
      () => ({ body: Buffer.from('<policy/>'), type: 'application/xml' }),
      () => ({ body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), type: 'application/json; charset=utf-16' }),
      () => ({ body: Buffer.alloc(1024 * 1024 + 10, 0x20), type: 'application/json' }),
      () => ({ body: json({ steps: ['verify', 'nope'], verifyPercent: 1e9 }), type: 'application/json' }),
    ];
    const sessions = () => pick<Record<string, string>>([
      {},
      { 'vmware-api-session-id': admin },
      { 'vmware-api-session-id': admin },
      { 'vmware-api-session-id': protector },
      { 'vmware-api-session-id': Math.random().toString(36).repeat(1 + Math.floor(random() * 4)) },
      { 'vmware-api-session-id': 'x'.repeat(8000) },
      { 'vmware-api-session-id': '   ' },
      { 'vmware-api-session-id': admin, 'lifeline-vc-guid': pick(['not-a-guid', '00000000-0000-0000-0000-000000000000', '']) },
    ]);
    const queries = ['', '?limit=-1', '?limit=1e400', '?offset=abc', '?limit=0&offset=-5', '?state=running,nope', '?kind=BAD KIND', '?target=vm-%00',
      '?status=weird', '?lastEventId=-3', '?user=&object=' + 'o'.repeat(400), '?limit=500&offset=9007199254740993', '?a[b]=c', '?limit=10&limit=20'];

    const cases: Case[] = [];
    // Every route with every kind of body, as the administrator and on real objects where there
    // are any: what a handler does with a bad body is reached, not only what authorisation says.
    // Deletions last, so that the real objects are there for the others.
    for (const [method, template] of [...ROUTES].sort((x, y) => Number(x[0] === 'DELETE') - Number(y[0] === 'DELETE'))) {
      const path = template.replace(/:([a-z]+)/g, (_m, name: string) => (real[name] ?? odd)[0] ?? '');
      for (const make of bodies) {
        const b = make();
        cases.push({ method, path, headers: { 'vmware-api-session-id': admin, 'content-type': b.type, 'content-length': String(b.body.length) }, body: b.body });
      }
    }
    // Then drawn at random: methods, ids, queries, headers, sessions and bodies.
    while (cases.length < REQUESTS) {
      const [routeMethod, template] = pick(ROUTES);
      const method = random() < 0.2 ? pick(METHODS) : routeMethod;
      const path = template.replace(/:([a-z]+)/g, (_m, name: string) => (random() < 0.5 ? pick(real[name] ?? odd) : encodeURIComponent(pick(odd)).replace(/%25/g, random() < 0.5 ? '%' : '%25')));
      const headers: Record<string, string> = { ...sessions() };
      if (random() < 0.25) headers['range'] = pick(['bytes=-0', 'bytes=5-1', 'bytes=0-1,4-5', 'bytes=99999999999999999999-', 'items=0-1', 'bytes=abc', 'bytes=-99999999999999999999']);
      if (random() < 0.15) headers['last-event-id'] = pick(['-1', 'abc', '1e99', '99999999999999999999', ' ']);
      if (random() < 0.1) headers['if-range'] = pick(['"x"', 'W/"y"', '']);
      let body: Buffer | undefined;
      if (!['GET', 'HEAD'].includes(method) && random() < 0.8) {
        const b = pick(bodies)();
        body = b.body;
        // Without a length, GET and DELETE bodies reach the server as garbage after the request.
        if (random() < 0.8) headers['content-length'] = String(body.length);
        headers['content-type'] = random() < 0.15 ? pick(['text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=klingon', '']) : b.type;
      }
      cases.push({ method, path: path + (random() < 0.3 ? pick(queries) : ''), headers, ...(body ? { body } : {}) });
    }

    const fivexx: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        const status = await send(c);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) fivexx.push(`${status} ${c.method} ${c.path.slice(0, 160)} ${c.headers['content-type'] ?? ''} ${c.body?.subarray(0, 80).toString('latin1') ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    expect(fivexx).withContext(`seed ${SEED}; statuses ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    // Healthy: it answers, and still does real work for a real user.
    expect((await fx.call(null, 'GET', '/health')).status).toBe(200);
    expect((await fx.call(admin, 'GET', '/policies')).status).toBe(200);
    expect(fx.captured.records().filter((r) => r['level'] === 'error' && r['msg'] !== 'export stopped: the restore point is damaged').map((r) => JSON.stringify(r).slice(0, 400))).toEqual([]);
  }, 720_000);
});
