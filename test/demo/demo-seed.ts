// What `npm run demo` puts on the simulated vCenter so that there is something to look at: guest
// data on the VMs' disks, two protection policies, most VMs assigned to one, and a first backup of
// a few of them. It goes through Lifeline's own API with a session of the simulator's
// administrator, exactly as the UI would, so the demo exercises the real paths.
import { request } from 'node:https';
import { createCipheriv, createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import type { Vcsim } from '../vcsim/harness.js';

const MiB = 1024 * 1024;
const WORDS = 'the quick backup of every virtual machine keeps its data safe while the restore brings it back byte for byte '.split(' ');

/** Deterministic pseudo-random bytes (AES-CTR keystream). */
function noise(seed: string, n: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

function text(seed: number, n: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = WORDS[(i * 7 + seed) % WORDS.length] as string;
    parts.push(w);
    len += w.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, n);
}

/** Guest data in the first `bytes` of a disk: text, random blocks and a few repeats, holes between. */
export async function fillDisk(path: string, bytes: number, seed: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    for (let i = 0; (i + 1) * MiB <= bytes; i++) {
      if (i % 5 === 4) continue;
      const block = i % 5 === 3 ? noise('demo shared block', MiB) : i % 2 === 0 ? text(seed + i, MiB) : noise(`demo ${seed} ${i}`, MiB);
      await fh.write(block, 0, block.length, i * MiB);
    }
  } finally {
    await fh.close();
  }
}

interface Answer {
  status: number;
  body: unknown;
}

function call(server: LifelineServer, ca: string, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1${path}`,
      {
        method,
        ca,
        headers: {
          'vmware-api-session-id': token,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const raw = Buffer.concat(parts).toString('utf8');
          let parsed: unknown = raw;
          try {
            parsed = raw ? JSON.parse(raw) : null;
          } catch {
            // Not JSON: keep the text for the error message.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function expectOk(what: string, a: Answer): Record<string, unknown> {
  if (a.status < 200 || a.status >= 300) {
    const detail = (a.body as { detail?: string } | null)?.detail ?? JSON.stringify(a.body);
    throw new Error(`${what}: HTTP ${a.status}: ${detail}`);
  }
  return a.body as Record<string, unknown>;
}

export interface SeedOptions {
  server: LifelineServer;
  vc: Vcsim;
  /** Bytes of guest data written at the start of each disk. */
  dataBytes: number;
  note: (msg: string) => void;
  /** A paired DR site the Gold policy replicates to; absent: no replication. */
  replicationSite?: string;
}

/** Fills the disks, makes the policies, protects the VMs and backs up the first three. */
export async function seedDemo(opts: SeedOptions): Promise<void> {
  const { server, vc } = opts;
  const vms = vc.vms;
  let seed = 1;
  for (const vm of vms) for (const disk of vm.disks) await fillDisk(disk.path, opts.dataBytes, seed++);

  const ca = await readFile(server.certFile, 'utf8');
  const token = await vc.soapLogin();
  const gold = expectOk(
    'creating the policy Gold',
    await call(server, ca, token, 'POST', '/policies', {
      name: 'Gold: 15 minutes, application-consistent',
      rpoSeconds: 900,
      consistency: 'application',
      onQuiesceFailure: 'crash-consistent',
      retention: { keepLast: 8, hourly: 24, daily: 14, weekly: 8, monthly: 12, yearly: 0 },
      immutabilityDays: 7,
      ...(opts.replicationSite ? { replicationSite: opts.replicationSite } : {}),
    }),
  );
  expectOk(
    'creating the policy Silver',
    await call(server, ca, token, 'POST', '/policies', {
      name: 'Silver: 4 hours, crash-consistent',
      rpoSeconds: 4 * 3600,
      consistency: 'crash',
      retention: { keepLast: 4, hourly: 0, daily: 7, weekly: 4, monthly: 3, yearly: 0 },
      immutabilityDays: 3,
    }),
  );
  const urn = (moref: string) => encodeURIComponent(`urn:vmomi:VirtualMachine:${moref}:${vc.instanceUuid}`);
  // All VMs but the last are protected; the last shows what an unprotected VM looks like.
  const protectedVms = vms.slice(0, Math.max(1, vms.length - 1));
  for (const vm of protectedVms) {
    expectOk(`protecting ${vm.name}`, await call(server, ca, token, 'PUT', `/vms/${urn(vm.moref)}/protection`, { policyId: gold['id'] }));
  }
  const jobs: string[] = [];
  for (const vm of protectedVms.slice(0, 3)) {
    const started = expectOk(`backing up ${vm.name}`, await call(server, ca, token, 'POST', `/vms/${urn(vm.moref)}/backup`, {}));
    const job = started['job'] as { id: string } | undefined;
    if (job) jobs.push(job.id);
  }
  opts.note(`Backing up ${jobs.length} VMs for the demo…`);
  const deadline = Date.now() + 5 * 60_000;
  for (const id of jobs) {
    for (;;) {
      const job = expectOk(`reading job ${id}`, await call(server, ca, token, 'GET', `/jobs/${id}`));
      const state = job['state'];
      if (state === 'succeeded') break;
      if (state === 'failed' || state === 'cancelled' || state === 'interrupted') {
        opts.note(`A demo backup ended ${String(state)}: ${JSON.stringify(job['error'] ?? null)}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the demo backup ${id} did not finish within 5 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
