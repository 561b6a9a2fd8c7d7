// The set-up the end-to-end suites share: the check after every spec that no browser request
// missed the proxy; and, for a suite on one e2e world, the world started before its specs and
// stopped after them, and Lifeline's API called as the administrator (or another vCenter
// session), every answer checked against the OpenAPI document.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { assertDocumented } from '../contract/openapi-validator.js';
import { startE2eWorld, type E2eFront, type E2eWorld } from './e2e-world.js';

/** Starting or stopping a world takes minutes on a loaded machine. */
const SLOW = 600_000;

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface E2eSuite {
  /** The running world, from the suite's beforeAll on. */
  readonly world: E2eWorld;
  /** A call to the Lifeline API with `token` (default: the administrator's session). */
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer>;
}

/**
 * After a spec: a plugin request without the proxy prefix, or to the Lifeline server's own origin,
 * would not reach Lifeline inside a real vSphere Client. The lists are emptied, so one flow's
 * mistakes are reported once, not again by every flow after it.
 */
export function expectNoStrayRequests(front: Pick<E2eFront, 'stray' | 'demo'>): void {
  expect(front.stray).withContext('browser requests outside the vSphere Client stand-in and its proxy').toEqual([]);
  expect(front.demo.escapes).withContext('requests to the stand-in that missed its /plugins/… proxy').toEqual([]);
  front.stray.splice(0);
  (front.demo.escapes as string[]).splice(0);
}

/** Registers, in the enclosing describe block, the hooks that start, check and stop one e2e world. */
export function useE2eWorld(opts: Parameters<typeof startE2eWorld>[0]): E2eSuite {
  let world: E2eWorld | undefined;
  let ca = '';
  let adminToken = '';

  beforeAll(async () => {
    world = await startE2eWorld(opts);
    ca = await readFile(world.server.certFile, 'utf8');
    adminToken = await world.vc.soapLogin();
  }, SLOW);

  afterAll(async () => {
    await world?.stop();
  }, SLOW);

  afterEach(() => expectNoStrayRequests(started()));

  function started(): E2eWorld {
    if (world === undefined) throw new Error('the e2e world is not started: it is used before its beforeAll');
    return world;
  }

  function api(method: string, path: string, body?: unknown, token = adminToken): Promise<ApiAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        `${started().server.url}/api/v1${path}`,
        {
          method,
          ca,
          headers: {
            'vmware-api-session-id': token,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            try {
              assertDocumented({ method, url: `/api/v1${path}`, status: res.statusCode ?? 0, headers: res.headers, body: text });
              resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    get world() {
      return started();
    },
    api,
  };
}
