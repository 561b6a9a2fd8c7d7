/**
 * One Lifeline server configured with two vCenters: two simulator processes (each with an
 * instance UUID of its own, its own users and its own inventory, whose morefs coincide as two real
 * vCenters' do), both named in the server's `lifeline.json` under `vcenters`, each with the
 * password file of its own administrator. Optionally the backup services on a real encrypted
 * store. Calls name the vCenter they are meant for in the `lifeline-vc-guid` header, as the UI
 * does from its context; `side.call` sets it. For suites that need two vCenters: scoping, pairing
 * of sites.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBackupServices, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import type { LifelineServer, LifelineServerDeps } from '../../plugin-server/src/server/lifeline-server.js';
import { createVcenterCloner, type VcenterUserSession } from '../../plugin-server/src/server/vcenter-cloner.js';
import type { Config } from '../../plugin-server/src/config/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { startVcsim, type Vcsim, type VcsimOptions } from '../vcsim/harness.js';
import { httpsCall, type HttpsReply } from './https-client.js';
import { captureLog, removeDir, startTestServer, tempDir, testConfig, type CapturedLog } from './server-fixture.js';
import type { SimUser } from './vcenter-server-fixture.js';

/** One of the two vCenters, as a suite talks to it and to the server about it. */
export interface VcenterSide {
  readonly vc: Vcsim;
  /** Its instance UUID, lower case, as Lifeline's configuration keys it. */
  readonly guid: string;
  moref(i: number): string;
  /** The vSphere Client's id of its VM `i`. */
  urn(i: number): string;
  /** A SOAP session on this vCenter (its administrator by default): the token the vSphere Client sends. */
  login(user?: string, password?: string): Promise<string>;
  /** A call to `/api/v1{path}` about this vCenter (the lifeline-vc-guid header names it). */
  call(token: string | null, method: string, path: string, body?: unknown): Promise<HttpsReply>;
}

export interface TwoVcenterOptions {
  /** Both simulators' inventory. */
  readonly sim?: VcsimOptions;
  readonly users?: { readonly a?: readonly SimUser[]; readonly b?: readonly SimUser[] };
  readonly dataDirPrefix?: string;
  /** Backup services on `<dataDir>/store`, unlocked with this passphrase. */
  readonly backup?: { readonly passphrase: string };
  readonly deps?: Omit<Partial<LifelineServerDeps<VcenterUserSession>>, 'config' | 'log' | 'cloner' | 'backup'>;
}

export interface TwoVcenterServer {
  readonly a: VcenterSide;
  readonly b: VcenterSide;
  readonly dataDir: string;
  readonly config: Config;
  readonly captured: CapturedLog;
  readonly server: LifelineServer;
  /** Throws when started without backup services. */
  readonly backup: BackupServices;
  /** A call to `/api/v1{path}` with whatever headers the suite chooses (none about the vCenter). */
  call(token: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpsReply>;
  /** Stops the server, closes the backup services, stops both simulators, removes the data directory. */
  stop(): Promise<void>;
}

async function addUsers(vc: Vcsim, users: readonly SimUser[] = []): Promise<void> {
  for (const u of users) {
    const entityPrivileges = Object.fromEntries(Object.entries(u.vmPrivileges ?? {}).map(([i, p]) => [vc.vms[Number(i)]?.moref ?? '', p]));
    await vc.addUser({ username: u.username, password: u.password, privileges: u.privileges ?? ['System.View'], ...(u.vmPrivileges ? { entityPrivileges } : {}) });
  }
}

export async function startTwoVcenterServer(opts: TwoVcenterOptions = {}): Promise<TwoVcenterServer> {
  const sims: Vcsim[] = [];
  const dataDir = await tempDir(opts.dataDirPrefix ?? 'lifeline-two-vcenters-');
  const captured = captureLog();
  const lifetime = new AbortController();
  let server: LifelineServer | undefined;
  let backup: BackupServices | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    lifetime.abort();
    await backup?.close();
    await Promise.all(sims.map((s) => s.stop()));
    await removeDir(dataDir);
  };
  try {
    // Started one after the other: two builds of the simulator at once would only wait for each other.
    sims.push(await startVcsim(opts.sim ?? {}));
    sims.push(await startVcsim(opts.sim ?? {}));
    const [vcA, vcB] = sims as [Vcsim, Vcsim];
    if (vcA.instanceUuid.toLowerCase() === vcB.instanceUuid.toLowerCase()) throw new Error('the two simulators share an instance UUID');
    await addUsers(vcA, opts.users?.a);
    await addUsers(vcB, opts.users?.b);
    const vcenters: Record<string, unknown> = {};
    for (const [i, vc] of sims.entries()) {
      const passwordFile = join(dataDir, `vc${i}.password`);
      await writeFile(passwordFile, vc.password, { mode: 0o600 });
      vcenters[vc.instanceUuid] = { url: vc.url, thumbprint: vc.thumbprint, user: vc.username, passwordFile };
    }
    const config = testConfig(dataDir, opts.backup ? { LIFELINE_STORE_DIR: join(dataDir, 'store') } : {}, { vcenters });
    if (opts.backup) {
      backup = await openBackupServices({ config, log: captured.log, clock: systemClock, env: { LIFELINE_PASSPHRASE: opts.backup.passphrase } }, lifetime.signal);
    }
    server = await startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }), { ...opts.deps, ...(backup ? { backup } : {}) });
    const running = server;
    const call = (token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpsReply> =>
      httpsCall(`${running.url}/api/v1${path}`, {
        method,
        thumbprint: running.thumbprint,
        headers: { ...headers, ...(token === null ? {} : { 'vmware-api-session-id': token }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const side = (vc: Vcsim): VcenterSide => {
      const guid = vc.instanceUuid.toLowerCase();
      const moref = (i: number) => vc.vms[i]?.moref ?? '';
      return {
        vc,
        guid,
        moref,
        urn: (i) => `urn:vmomi:VirtualMachine:${moref(i)}:${guid}`,
        login: (user, password) => vc.soapLogin(user, password),
        call: (token, method, path, body) => call(token, method, path, body, { 'lifeline-vc-guid': guid }),
      };
    };
    return {
      a: side(vcA),
      b: side(vcB),
      dataDir,
      config,
      captured,
      server: running,
      get backup() {
        if (!backup) throw new Error('this server was started without backup services');
        return backup;
      },
      call,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
