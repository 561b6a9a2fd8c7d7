// Starts the Lifeline vCenter simulator (test/vcsim/bin/lifeline-vcsim) for a test, reads its ready
// line, and talks to its test-only control endpoints over TLS pinned to its certificate.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** An ExtensionServerInfo as a registration request carried it. */
export interface ExtensionServerSent {
  readonly url: string;
  readonly type: string;
  readonly adminEmail: string[] | null;
  readonly serverThumbprint: string;
  readonly serverCertificate: string;
}

export interface VcsimDisk {
  key: number;
  /** Backing file name as vSphere shows it: "[LocalDS_0] DC0_C0_VM0/DC0_C0_VM0.vmdk". */
  file: string;
  /** Datastore path of the data file, to read through /folder. */
  flatFile: string;
  /** Local path of the data file (a sparse file of `capacity` bytes); tests write guest data here. */
  path: string;
  descriptorPath: string;
  capacity: number;
}

export interface VcsimVm {
  name: string;
  moref: string;
  uuid: string;
  instanceUuid: string;
  datacenter: string;
  datastore: string;
  disks: VcsimDisk[];
}

export interface VcsimDatastore {
  name: string;
  datacenter: string;
  moref: string;
  dir: string;
}

export interface VcsimUser {
  username: string;
  password: string;
  /** "*" for the administrator. */
  privileges: string[];
}

/** The one JSON line the simulator prints when it is ready. */
export interface VcsimReady {
  url: string;
  username: string;
  password: string;
  /** SHA-256 of the certificate, uppercase hex, colon-separated. */
  thumbprint: string;
  certificate: string;
  instanceUuid: string;
  apiVersion: string;
  cbtSpan: number;
  cbtBlockSize: number;
  users: VcsimUser[];
  datastores: VcsimDatastore[];
  vms: VcsimVm[];
}

export interface VcsimOptions {
  vms?: number;
  datacenters?: number;
  clusters?: number;
  hosts?: number;
  datastores?: number;
  disks?: number;
  /** Bytes, or a string with a binary unit ("8GiB"). */
  diskSize?: number | string;
  /** Create the VMs with changeTrackingEnabled. */
  cbt?: boolean;
  cbtSpan?: number | string;
  poweredOff?: boolean;
  datastoreDir?: string;
  /** Extra standard port groups (networks) beside "VM Network", e.g. an isolated one for drills. */
  portgroups?: string[];
  username?: string;
  password?: string;
  /** Extra users with only the given privileges. */
  users?: { username: string; password: string; privileges?: string[] }[];
  trace?: boolean;
  /** How long to wait for the ready line (default 30 s). */
  startTimeoutMs?: number;
}

export interface FaultRule {
  /** SOAP method name, e.g. "CreateSnapshot_Task", or "HTTP PUT" for datastore uploads. */
  method: string;
  /** Calls affected (default 1; -1 until cleared). */
  count?: number;
  /** vim25 fault type, e.g. "InvalidState". */
  fault?: string;
  message?: string;
  /** Fault properties, e.g. { file: "[ds] x.vmdk" } for FileFault. */
  fields?: Record<string, string | number | boolean>;
  /** Only calls on this managed object (its moref value). */
  moref?: string;
  delayMs?: number;
  /**
   * For "HTTP PUT" only: the upload's first `afterBytes` bytes reach the file, then the connection
   * is closed without an answer (a network failure halfway). `moref` then matches the file name.
   */
  afterBytes?: number;
  /**
   * For a "*_Task" method with a fault: the call itself answers with the fault (a SOAP fault, no
   * task started), as vCenter refuses outright a call it finds wrong before it starts a task.
   */
  noTask?: boolean;
}

export interface VcsimResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Vcsim extends VcsimReady {
  /** https://127.0.0.1:PORT */
  readonly baseUrl: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** The next calls of rule.method fail with rule.fault (tasks end in error; others get a SOAP fault). */
  injectFault(rule: FaultRule & ({ fault: string } | { afterBytes: number })): Promise<void>;
  /** The next `count` calls of `method` are delayed (a task is returned at once and runs late). */
  injectDelay(method: string, delayMs: number, count?: number, moref?: string): Promise<void>;
  clearFaults(): Promise<void>;
  /** Ends all live sessions (or one user's); returns how many. */
  expireSessions(username?: string): Promise<number>;
  addUser(user: { username: string; password: string; admin?: boolean; privileges?: string[]; entityPrivileges?: Record<string, string[]> }): Promise<void>;
  /**
   * Whether VMware Tools runs in a VM's guest (every simulated VM starts without: ShutdownGuest
   * then faults ToolsUnavailable, as vSphere answers), and whether the guest ignores a shutdown
   * it was asked for (it then stays powered on).
   */
  setGuestTools(vmMoref: string, tools: { running: boolean; ignoreShutdown?: boolean }): Promise<void>;
  /** Forgets a VM's changeIds, as a CBT reset does. */
  resetCbt(vmMoref: string): Promise<void>;
  /**
   * Writes guest data into a VM's disk through the simulator, as a guest writes through its
   * hypervisor: change tracking learns the blocks at once, so the next snapshot does not read the
   * whole disk (as it must after data was written straight into `path`). Must stay within the
   * disk's capacity.
   */
  writeDisk(vmMoref: string, deviceKey: number, offset: number, data: Buffer): Promise<void>;
  /**
   * Reads a VM's disk as its guest sees it, through the hypervisor: through NFS for a disk on an
   * NFS datastore (at most 256 MiB at once).
   */
  readDisk(vmMoref: string, deviceKey: number, offset: number, length: number): Promise<Buffer>;
  /** SOAP calls per method since start (or since the last reset). */
  callCounts(reset?: boolean): Promise<Record<string, number>>;
  /** The servers of an extension as the last RegisterExtension/UpdateExtension request sent them. */
  extensionServersSent(key: string): Promise<ExtensionServerSent[]>;
  /** Logs in over SOAP and returns the session id (the vmware_soap_session cookie value). */
  soapLogin(username?: string, password?: string): Promise<string>;
  /** SessionManager.Logout in the session with this id, as a user signing out of the vSphere Client ends it. */
  soapLogout(sessionId: string): Promise<void>;
  /** URL of a datastore file for GET/PUT: "[ds] dir/file" in a datacenter. */
  folderUrl(datastorePath: string, datacenter: string): string;
  /** An HTTPS request to the simulator, trusting only its certificate. */
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<VcsimResponse>;
  /** TLS options that trust exactly this simulator's certificate. */
  readonly tls: { ca: string; checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined };
  /** The last lines the simulator wrote to stderr. */
  stderrTail(): string;
}

export type VcsimErrorCode =
  | 'VCSIM_BAD_OPTIONS'
  | 'VCSIM_BUILD_FAILED' | 'VCSIM_START_TIMEOUT' | 'VCSIM_EXITED' | 'VCSIM_BAD_READY_LINE' | 'VCSIM_CONTROL_FAILED';

export class VcsimError extends Error {
  constructor(
    readonly code: VcsimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VcsimError';
  }
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'test', 'vcsim', 'build.sh'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new VcsimError('VCSIM_BUILD_FAILED', 'cannot find test/vcsim/build.sh above the harness');
    dir = up;
  }
}

const root = findRoot();
const binary = resolve(root, 'test/vcsim/bin/lifeline-vcsim');

// Every simulator this process started; killed when the process exits, even after a crash. The
// simulator also exits by itself when its stdin (a pipe from this process) closes, which covers a
// process killed outright.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

let building: Promise<void> | undefined;

/** Builds the simulator when its sources changed (fast when up to date). */
export function buildVcsim(): Promise<void> {
  building ??= new Promise<void>((resolvePromise, reject) => {
    const child = spawn('bash', [join(root, 'test/vcsim/build.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err = (err + chunk).slice(-8000);
    });
    child.on('error', (e) => reject(new VcsimError('VCSIM_BUILD_FAILED', `cannot run build.sh: ${e.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolvePromise();
      else reject(new VcsimError('VCSIM_BUILD_FAILED', `test/vcsim/build.sh exited with ${code}:\n${err}`));
    });
  });
  const current = building;
  current.catch(() => {
    building = undefined; // let a later call try again
  });
  return current;
}

function flags(opts: VcsimOptions): string[] {
  const out: string[] = ['--exit-on-stdin-eof'];
  const num = (name: string, v: number | undefined): void => {
    if (v !== undefined) out.push(`--${name}`, String(v));
  };
  num('vms', opts.vms);
  num('datacenters', opts.datacenters);
  num('clusters', opts.clusters);
  num('hosts', opts.hosts);
  num('datastores', opts.datastores);
  num('disks', opts.disks);
  if (opts.diskSize !== undefined) out.push('--disk-size', String(opts.diskSize));
  if (opts.cbtSpan !== undefined) out.push('--cbt-span', String(opts.cbtSpan));
  if (opts.cbt) out.push('--cbt');
  if (opts.poweredOff) out.push('--powered-off');
  if (opts.trace) out.push('--trace');
  if (opts.datastoreDir !== undefined) out.push('--datastore-dir', opts.datastoreDir);
  if (opts.username !== undefined) out.push('--username', opts.username);
  if (opts.password !== undefined) out.push('--password', opts.password);
  for (const pg of opts.portgroups ?? []) out.push('--portgroup', pg);
  for (const u of opts.users ?? []) {
    if (u.password.includes(':')) throw new VcsimError('VCSIM_BAD_OPTIONS', `password of ${u.username} must not contain ":"`);
    out.push('--user', `${u.username}:${u.password}:${(u.privileges ?? []).join(',')}`);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseReady(line: string): VcsimReady {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new VcsimError('VCSIM_BAD_READY_LINE', `ready line is not JSON: ${line.slice(0, 200)}`);
  }
  const strings = ['url', 'username', 'password', 'thumbprint', 'certificate', 'instanceUuid', 'apiVersion'];
  if (
    !isRecord(v) ||
    strings.some((k) => typeof v[k] !== 'string') ||
    typeof v.cbtSpan !== 'number' ||
    typeof v.cbtBlockSize !== 'number' ||
    !Array.isArray(v.vms) ||
    !Array.isArray(v.datastores) ||
    !Array.isArray(v.users)
  ) {
    throw new VcsimError('VCSIM_BAD_READY_LINE', `ready line lacks fields: ${line.slice(0, 200)}`);
  }
  // The binary is built from this repository alongside this file; its shape is the one above.
  return v as unknown as VcsimReady;
}

/** Starts a simulator with the given inventory; resolves once it is ready. */
export async function startVcsim(opts: VcsimOptions = {}): Promise<Vcsim> {
  await buildVcsim();
  const child = spawn(binary, flags(opts), { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const stderrLines: string[] = [];
  child.stderr?.setEncoding('utf8');
  let partial = '';
  child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    stderrLines.push(...lines);
    if (stderrLines.length > 200) stderrLines.splice(0, stderrLines.length - 200);
  });
  const tail = (): string => [...stderrLines.slice(-40), partial].filter((l) => l !== '').join('\n');
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  void exited.then(() => children.delete(child));

  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let ready: VcsimReady;
  try {
    ready = await new Promise<VcsimReady>((res, rej) => {
      const timer = setTimeout(
        () => rej(new VcsimError('VCSIM_START_TIMEOUT', `lifeline-vcsim printed no ready line within ${timeoutMs} ms; stderr:\n${tail()}`)),
        timeoutMs,
      );
      const rl = createInterface({ input: child.stdout! });
      rl.once('line', (line) => {
        clearTimeout(timer);
        rl.close();
        try {
          res(parseReady(line));
        } catch (e) {
          rej(e instanceof Error ? e : new Error(String(e)));
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        rej(new VcsimError('VCSIM_EXITED', `cannot start lifeline-vcsim: ${e.message}`));
      });
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new VcsimError('VCSIM_EXITED', `lifeline-vcsim exited with ${code} before it was ready; stderr:\n${tail()}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    children.delete(child);
    throw e;
  }

  // Once ready, the simulator must not keep a finished test process alive; if the process ends
  // without stop(), the 'exit' hook and the closed stdin pipe end the simulator.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  const baseUrl = ready.url.replace(/\/sdk$/, '');
  const tlsOptions = {
    ca: ready.certificate,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined =>
      cert.fingerprint256 === ready.thumbprint
        ? undefined
        : new Error(`certificate ${cert.fingerprint256} is not the simulator's ${ready.thumbprint}`),
  };

  const request = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<VcsimResponse> =>
    new Promise<VcsimResponse>((res, rej) => {
      const req = https.request(new URL(path, baseUrl), { method, headers, agent: false, ...tlsOptions }, (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => res({ status: resp.statusCode ?? 0, headers: resp.headers, body: Buffer.concat(chunks) }));
        resp.on('error', rej);
      });
      req.on('error', rej);
      req.end(body);
    });

  const control = async (method: string, path: string, payload: unknown, expect: number): Promise<unknown> => {
    const data = payload === undefined ? undefined : JSON.stringify(payload);
    const res = await request(method, path, data, data === undefined ? {} : { 'content-type': 'application/json' });
    const text = res.body.toString('utf8');
    if (res.status !== expect) {
      throw new VcsimError('VCSIM_CONTROL_FAILED', `${method} ${path} answered ${res.status}: ${text}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.ref(); // keep the process alive until the simulator has cleaned up and exited
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      children.delete(child);
    })();
    return stopping;
  };

  const soapLogin = async (username = ready.username, password = ready.password): Promise<string> => {
    const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
      '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>' +
      `<userName>${esc(username)}</userName><password>${esc(password)}</password></Login>` +
      '</soapenv:Body></soapenv:Envelope>';
    const res = await request('POST', '/sdk', envelope, { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.5' });
    const cookies = res.headers['set-cookie'] ?? [];
    const match = cookies.map((c) => /^vmware_soap_session="?([^";]+)"?/.exec(c)).find((m) => m !== null);
    if (res.status !== 200 || !match?.[1]) {
      throw new VcsimError('VCSIM_CONTROL_FAILED', `SOAP Login as ${username} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    return match[1];
  };

  const soapLogout = async (sessionId: string): Promise<void> => {
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
      '<Logout xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this></Logout>' +
      '</soapenv:Body></soapenv:Envelope>';
    const res = await request('POST', '/sdk', envelope, {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: 'urn:vim25/6.5',
      cookie: `vmware_soap_session="${sessionId}"`,
    });
    if (res.status !== 200) {
      throw new VcsimError('VCSIM_CONTROL_FAILED', `SOAP Logout answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
  };

  const folderUrl = (datastorePath: string, datacenter: string): string => {
    const m = /^\[([^\]]+)\]\s*(.*)$/.exec(datastorePath);
    if (!m?.[1]) throw new VcsimError('VCSIM_CONTROL_FAILED', `not a datastore path: ${datastorePath}`);
    const path = (m[2] ?? '').split('/').map(encodeURIComponent).join('/');
    return `${baseUrl}/folder/${path}?dcPath=${encodeURIComponent(datacenter)}&dsName=${encodeURIComponent(m[1])}`;
  };

  return {
    ...ready,
    baseUrl,
    pid: child.pid ?? -1,
    stop,
    tls: tlsOptions,
    request,
    soapLogin,
    soapLogout,
    folderUrl,
    stderrTail: tail,
    injectFault: async (rule) => {
      await control('POST', '/lifeline-sim/faults', rule, 201);
    },
    injectDelay: async (method, delayMs, count = 1, moref) => {
      await control('POST', '/lifeline-sim/faults', { method, delayMs, count, ...(moref === undefined ? {} : { moref }) }, 201);
    },
    clearFaults: async () => {
      await control('DELETE', '/lifeline-sim/faults', undefined, 200);
    },
    expireSessions: async (username) => {
      const res = await control('POST', '/lifeline-sim/sessions/expire', username === undefined ? {} : { username }, 200);
      return isRecord(res) && typeof res.expired === 'number' ? res.expired : 0;
    },
    addUser: async (user) => {
      await control('POST', '/lifeline-sim/users', user, 201);
    },
    setGuestTools: async (vmMoref, tools) => {
      await control('POST', '/lifeline-sim/vms/tools', { vm: vmMoref, running: tools.running, ignoreShutdown: tools.ignoreShutdown ?? false }, 200);
    },
    resetCbt: async (vmMoref) => {
      await control('POST', '/lifeline-sim/cbt/reset', { vm: vmMoref }, 200);
    },
    writeDisk: async (vmMoref, deviceKey, offset, data) => {
      const path = `/lifeline-sim/disks/write?vm=${encodeURIComponent(vmMoref)}&key=${deviceKey}&offset=${offset}`;
      const res = await request('POST', path, data, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
      if (res.status !== 200) throw new VcsimError('VCSIM_CONTROL_FAILED', `POST ${path} answered ${res.status}: ${res.body.toString('utf8')}`);
    },
    readDisk: async (vmMoref, deviceKey, offset, length) => {
      const path = `/lifeline-sim/disks/read?vm=${encodeURIComponent(vmMoref)}&key=${deviceKey}&offset=${offset}&length=${length}`;
      const res = await request('GET', path);
      if (res.status !== 200) throw new VcsimError('VCSIM_CONTROL_FAILED', `GET ${path} answered ${res.status}: ${res.body.toString('utf8')}`);
      return res.body;
    },
    callCounts: async (reset = false) => {
      const res = await control(reset ? 'DELETE' : 'GET', '/lifeline-sim/calls', undefined, 200);
      const out: Record<string, number> = {};
      if (isRecord(res)) for (const [k, v] of Object.entries(res)) if (typeof v === 'number') out[k] = v;
      return out;
    },
    extensionServersSent: async (key) => {
      const res = await control('GET', `/lifeline-sim/extensions/${encodeURIComponent(key)}/servers`, undefined, 200);
      return Array.isArray(res) ? (res as ExtensionServerSent[]) : [];
    },
  };
}
