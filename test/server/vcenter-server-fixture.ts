/**
 * A real Lifeline server against the vCenter simulator, as the API suites use it: the simulator
 * with the suite's users, a fresh data directory holding the password file of the simulator's
 * administrator, a configuration naming that vCenter through the `LIFELINE_VCENTER_*` variables,
 * optionally the backup services on a real encrypted store, and the server itself over HTTPS
 * with its log captured. Calls go through the HTTPS client that pins the server's thumbprint.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import type { LifelineServer, LifelineServerDeps } from '../../plugin-server/src/server/lifeline-server.js';
import { createVcenterCloner, type VcenterUserSession } from '../../plugin-server/src/server/vcenter-cloner.js';
import type { Config } from '../../plugin-server/src/config/index.js';
import { systemClock, type Clock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim, type VcsimOptions } from '../vcsim/harness.js';
import { httpsCall, type HttpsReply } from './https-client.js';
import { captureLog, removeDir, startTestServer, tempDir, testConfig, type CapturedLog } from './server-fixture.js';

/** A simulator user besides its administrator. */
export interface SimUser {
  readonly username: string;
  readonly password: string;
  /** Privileges on the root folder; vCenter's default read privileges when omitted. */
  readonly privileges?: string[];
  /** Privileges on single VMs, by the VM's index in the simulator's inventory. */
  readonly vmPrivileges?: Readonly<Record<number, string[]>>;
}

export interface VcenterServerOptions {
  /** The simulator's inventory. */
  readonly sim?: VcsimOptions;
  readonly users?: readonly SimUser[];
  /** Prefix of the data directory's name. */
  readonly dataDirPrefix?: string;
  /** Runs once the simulator and the data directory exist, before the server is configured: guest data, a store with points. */
  readonly prepare?: (vc: Vcsim, dataDir: string) => Promise<void>;
  /** More configuration variables; they override the `LIFELINE_VCENTER_*` ones. */
  readonly env?: (vc: Vcsim, dataDir: string) => Record<string, string>;
  /** The content of the configuration file (e.g. hook sets), when the server should have one. */
  readonly file?: (vc: Vcsim, dataDir: string) => unknown;
  /**
   * Opens the backup services (with the real clock unless `clock` is given) on the store in `LIFELINE_STORE_DIR`, the
   * data directory's `store` unless `env` names another, unlocked with this passphrase.
   */
  readonly backup?: { readonly passphrase: string; /** The store's clock instead of the real one. */ readonly clock?: Clock };
  /** What else the server is built with: job handlers, a job clock, the SSE heartbeat. */
  readonly deps?: Omit<Partial<LifelineServerDeps<VcenterUserSession>>, 'config' | 'log' | 'cloner' | 'backup'>;
}

export interface VcenterServer {
  readonly vc: Vcsim;
  readonly dataDir: string;
  /** The configuration the server runs with; another object after `restart({ file })`. */
  readonly config: Config;
  readonly captured: CapturedLog;
  /** The running server; another object after `restart()`. */
  readonly server: LifelineServer;
  /** The backup services; throws when the server was started without them. */
  readonly backup: BackupServices;
  /** Every token `login()` has handed out, to look for in logs and answers. */
  readonly tokens: string[];
  /** The moref of the simulator's VM `i`. */
  moref(i: number): string;
  /** The vSphere Client's id of the simulator's VM `i`. */
  urn(i: number): string;
  /** A SOAP session of a simulator user (the administrator by default): the token the vSphere Client sends. */
  login(user?: string, password?: string): Promise<string>;
  /** A call to `/api/v1{path}`; a body is sent as JSON (or as `contentType`), a null token sends no session. */
  call(token: string | null, method: string, path: string, body?: unknown, contentType?: string): Promise<HttpsReply>;
  /** The same to any URL of the server. */
  callUrl(token: string | null, method: string, url: string, body?: unknown, contentType?: string): Promise<HttpsReply>;
  /**
   * Stops the server and starts it again on the same data directory, with the same configuration
   * or, given `file`, with that configuration file instead (the backup services are then reopened
   * on it, as a restart of the process would).
   */
  restart(change?: { readonly file: unknown }): Promise<void>;
  /**
   * Stops the server and closes the backup services, leaving the data directory to a `lifeline
   * serve` process of its own (started with `serveEnv`); `restart()` brings the server back here.
   */
  release(): Promise<void>;
  /** The environment `lifeline serve --data-dir <dataDir>` runs this server's configuration with (the configuration file, if any, is written by `release`). */
  readonly serveEnv: Record<string, string>;
  /** Stops the server, closes the backup services, stops the simulator and removes the data directory. */
  stop(): Promise<void>;
}

export async function startVcenterServer(opts: VcenterServerOptions = {}): Promise<VcenterServer> {
  const vc = await startVcsim(opts.sim ?? {});
  const dataDir = await tempDir(opts.dataDirPrefix);
  const captured = captureLog();
  const lifetime = new AbortController();
  const tokens: string[] = [];
  let server: LifelineServer | undefined;
  let backup: BackupServices | undefined;
  const moref = (i: number) => vc.vms[i]?.moref ?? '';
  const stop = async () => {
    await server?.stop();
    lifetime.abort();
    await backup?.close();
    await vc.stop();
    await removeDir(dataDir);
  };
  try {
    for (const u of opts.users ?? []) {
      const entityPrivileges = Object.fromEntries(Object.entries(u.vmPrivileges ?? {}).map(([i, privileges]) => [moref(Number(i)), privileges]));
      await vc.addUser({ username: u.username, password: u.password, privileges: u.privileges ?? ['System.View'], ...(u.vmPrivileges ? { entityPrivileges } : {}) });
    }
    await opts.prepare?.(vc, dataDir);
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, vc.password, { mode: 0o600 });
    // Asked again at every start: a caller's environment may change between restarts (the two-site
    // fixture asks for the site port the first start was given).
    const env = (): Record<string, string> => ({
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
      ...(opts.backup ? { LIFELINE_STORE_DIR: join(dataDir, 'store') } : {}),
      ...opts.env?.(vc, dataDir),
    });
    let file = opts.file?.(vc, dataDir);
    let config = testConfig(dataDir, env(), file);
    const openBackup = async (): Promise<void> => {
      if (opts.backup) {
        backup = await openBackupServices({ config, log: captured.log, clock: opts.backup.clock ?? systemClock, env: { LIFELINE_PASSPHRASE: opts.backup.passphrase } }, lifetime.signal);
      }
    };
    await openBackup();
    const start = () => startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }), { ...opts.deps, ...(backup ? { backup } : {}) });
    server = await start();
    const callUrl = (token: string | null, method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<HttpsReply> =>
      httpsCall(url, {
        method,
        thumbprint: running().thumbprint,
        headers: { ...(token === null ? {} : { 'vmware-api-session-id': token }), ...(body !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    let released = false;
    const running = (): LifelineServer => {
      if (!server) throw new Error('the Lifeline server is not running');
      return server;
    };
    return {
      vc,
      dataDir,
      get config() {
        return config;
      },
      captured,
      get server() {
        return running();
      },
      get backup() {
        if (!backup) throw new Error('this server was started without backup services');
        return backup;
      },
      tokens,
      moref,
      urn: (i) => `urn:vmomi:VirtualMachine:${moref(i)}:${vc.instanceUuid}`,
      login: async (user, password) => {
        const token = await vc.soapLogin(user, password);
        tokens.push(token);
        return token;
      },
      call: (token, method, path, body, contentType) => callUrl(token, method, `${running().url}/api/v1${path}`, body, contentType),
      callUrl,
      restart: async (change) => {
        if (!released) await running().stop();
        server = undefined;
        if (change) file = change.file;
        config = testConfig(dataDir, env(), file);
        if (change) {
          const before = backup;
          backup = undefined;
          await before?.close();
        }
        if (change || released) await openBackup();
        released = false;
        server = await start();
      },
      release: async () => {
        await running().stop();
        server = undefined;
        const before = backup;
        backup = undefined;
        await before?.close();
        released = true;
        const file = opts.file?.(vc, dataDir);
        if (file !== undefined) await writeFile(join(dataDir, 'lifeline.json'), JSON.stringify(file), { mode: 0o600 });
      },
      get serveEnv() {
        return {
          LIFELINE_HOST: '127.0.0.1',
          LIFELINE_PORT: '0',
          LIFELINE_SITE_PORT: '0',
          LIFELINE_SHUTDOWN_TIMEOUT_SECONDS: '5',
          ...env(),
          ...(opts.backup ? { LIFELINE_PASSPHRASE: opts.backup.passphrase } : {}),
        };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What `expectProblem` reads of a reply: an HTTPS reply or a download. */
export interface ProblemReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  json<T = Record<string, unknown>>(): T;
}

/** Expects a problem+json answer with this status and code; returns the problem. */
export function expectProblem(reply: ProblemReply, status: number, code: string): Record<string, unknown> {
  expect(reply.status).withContext(replyText(reply)).toBe(status);
  expect(String(reply.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = reply.json();
  expect(problem['code']).toBe(code);
  return problem;
}

function replyText(reply: ProblemReply): string {
  if ('text' in reply && typeof reply.text === 'string') return reply.text;
  try {
    return JSON.stringify(reply.json());
  } catch {
    return '(a body that is not JSON)';
  }
}
