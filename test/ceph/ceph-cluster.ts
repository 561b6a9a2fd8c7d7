/**
 * A throwaway single-node Ceph cluster for the S3 suites, from Debian's packages (ceph-mon,
 * ceph-osd, radosgw, ceph-common; scripts/setup.sh installs them): one monitor, one OSD on
 * memstore (RAM, nothing on disk but small maps), radosgw with a beast endpoint and an S3 user,
 * all on 127.0.0.1 in a temporary directory, without systemd and without a manager daemon (the
 * Object Lock, versioning and S3 paths need none). Settings that keep it quick and quiet:
 * - `paxos propose interval = 0.05`: the monitor commits map changes at once instead of after 1 s;
 * - `rgw enable lc threads = false`: no lifecycle thread, so radosgw stops at once on SIGTERM;
 * - `mon data avail warn/crit` low: a fairly full test disk does not stop the monitor;
 * - cephx off (`auth … required = none`, connection mode crc): loopback only, no keyrings.
 *
 * `stop()` ends exactly the processes this module started, by pid, and removes the directory.
 * Also usable from the shell: `node build/test/ceph/ceph-cluster.js` prints the endpoint and the
 * credentials as JSON and runs until SIGINT/SIGTERM.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants as fsc, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph'] as const;
const BIN_DIRS = ['/usr/bin', '/usr/local/bin'];

export interface CephCluster {
  /** http://127.0.0.1:<port> of radosgw. */
  readonly endpoint: string;
  /** https://127.0.0.1:<port> of radosgw, with a certificate of its own (for 127.0.0.1) in caFile. */
  readonly tlsEndpoint: string;
  /** PEM of radosgw's self-signed certificate. */
  readonly caFile: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The cluster's directory (config, logs, monitor store). */
  readonly dir: string;
  /** Milliseconds from the call to an S3 endpoint answering. */
  readonly startMs: number;
  /** radosgw's pid, for specs that kill it. */
  rgwPid(): number | undefined;
  /** Kills radosgw (SIGKILL) and waits until it is gone. */
  killRgw(): Promise<void>;
  /** Starts radosgw again (after killRgw) and waits until it answers. */
  startRgw(): Promise<void>;
  /** Stops the processes this cluster started (radosgw, OSD, monitor) and removes its directory. */
  stop(): Promise<void>;
}

/** The path of a Ceph binary, or an error that says how to install it. */
export function cephBinary(name: (typeof BINARIES)[number]): string {
  for (const dir of BIN_DIRS) {
    const p = join(dir, name);
    try {
      accessSync(p, fsc.X_OK);
      return p;
    } catch {
      // next directory
    }
  }
  throw new Error(`${name} is not installed: the S3 suites need Ceph (Debian packages ceph-mon ceph-osd radosgw ceph-common); run scripts/setup.sh`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes started by any cluster of this process, killed if the process exits without stop(). */
const alive = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of alive) if (c.pid !== undefined) c.kill('SIGKILL');
    });
  }
}

export async function startCephCluster(): Promise<CephCluster> {
  const t0 = Date.now();
  for (const b of BINARIES) cephBinary(b);
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-ceph-'));
  const children: ChildProcess[] = [];
  let rgw: ChildProcess | undefined;
  const [monPort, rgwPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const accessKeyId = `LL${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');

  const daemon = async (name: string, args: string[]): Promise<ChildProcess> => {
    const out = openSync(join(dir, 'log', `${name}.out`), 'a');
    try {
      const child = spawn(cephBinary(name as (typeof BINARIES)[number]), ['-c', conf, '-f', ...args], { stdio: ['ignore', out, out] });
      track(child);
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return child;
    } finally {
      closeSync(out);
    }
  };
  const tool = async (name: 'ceph' | 'radosgw-admin' | 'ceph-mon' | 'ceph-osd', args: string[], timeoutMs = 30_000): Promise<string> => {
    try {
      const { stdout } = await run(cephBinary(name), ['-c', conf, ...args], { timeout: timeoutMs });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
    }
  };
  const waitForS3 = async (): Promise<void> => {
    for (let i = 0; ; i++) {
      if (rgw?.exitCode !== null) throw new Error(`radosgw exited (${rgw?.exitCode}); see ${join(dir, 'log')}`);
      const ok = await fetch(`http://127.0.0.1:${rgwPort}/`).then(
        (r) => r.status > 0,
        () => false,
      );
      if (ok) return;
      if (i > 600) throw new Error(`radosgw did not answer on port ${rgwPort} within 30 s; see ${join(dir, 'log')}`);
      await sleep(50);
    }
  };
  const stopChild = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const late = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
    if (late) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const stopAll = async (): Promise<void> => {
    // radosgw first (it holds the OSD's objects open), then the OSD, the monitor last.
    for (const child of [...children].reverse()) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(['log', 'run', 'mon', 'osd/0'].map((d) => mkdir(join(dir, d), { recursive: true })));
    // radosgw's TLS endpoint: a throwaway self-signed certificate for 127.0.0.1.
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'rgw-key.pem'), '-out', join(dir, 'rgw-cert.pem')]);
    await writeFile(conf, cephConf(dir, randomUUID(), monPort, rgwPort, tlsPort));
    await tool('ceph-mon', ['--mkfs', '-i', 'a']);
    await daemon('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    await tool('ceph', ['--connect-timeout', '20', 'osd', 'new', osdUuid]);
    await tool('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    await daemon('ceph-osd', ['-i', '0']);
    // Creates the radosgw pools, so it returns once the OSD is up and serving.
    await tool('radosgw-admin', ['user', 'create', '--uid', 'lifeline', '--display-name', 'Lifeline tests', '--access-key', accessKeyId, '--secret-key', secretAccessKey]);
    const startRgw = async (): Promise<void> => {
      rgw = await daemon('radosgw', ['-n', 'client.rgw']);
      await waitForS3();
    };
    await startRgw();
    const startMs = Date.now() - t0;
    return {
      endpoint: `http://127.0.0.1:${rgwPort}`,
      tlsEndpoint: `https://127.0.0.1:${tlsPort}`,
      caFile: join(dir, 'rgw-cert.pem'),
      accessKeyId,
      secretAccessKey,
      dir,
      startMs,
      rgwPid: () => rgw?.pid,
      killRgw: async () => {
        if (rgw) await stopChild(rgw, 'SIGKILL');
      },
      startRgw,
      stop: stopAll,
    };
  } catch (err) {
    const log = await readFile(join(dir, 'log', 'ceph-mon.out'), 'utf8').catch(() => '');
    await stopAll();
    throw log ? new Error(`${(err as Error).message}\nmonitor output: ${log.slice(-2000)}`, { cause: err }) : err;
  }
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number, tlsPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
ms bind msgr1 = false
ms mon client mode = crc secure
ms client mode = crc secure
run dir = ${dir}/run
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
paxos propose interval = 0.05
mon data avail warn = 2
mon data avail crit = 1
[mon]
mon data = ${dir}/mon/$name
[osd]
public addr = 127.0.0.1
osd data = ${dir}/osd/$id
osd objectstore = memstore
memstore device bytes = 8589934592
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} ssl_endpoint=127.0.0.1:${tlsPort} ssl_certificate=${dir}/rgw-cert.pem ssl_private_key=${dir}/rgw-key.pem
rgw enable lc threads = false
rgw enable gc threads = true
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cluster = await startCephCluster();
  process.stdout.write(`${JSON.stringify({ endpoint: cluster.endpoint, accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey, startMs: cluster.startMs })}\n`);
  const done = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
}
