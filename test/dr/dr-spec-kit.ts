/**
 * What the DR specs read of a site: the API's job, failover and replicated-VM shapes, the site's
 * VMs by name and power state, every file of its simulator's datastores with its size (what
 * "exactly as before" compares), a wait for a job to end, the first replication every DR spec
 * starts from, the two sites the failback specs start from, the `lifeline` command run as an
 * administrator would, and the flat file of a VM's first disk.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { startTwoSites, type SiteSide, type TwoSiteOptions, type TwoSites } from '../sites/two-site-fixture.js';

const MiB = 1024 * 1024;

const never = new AbortController().signal;
const LIFELINE_BIN = fileURLToPath(new URL('../../../bin/lifeline.js', import.meta.url));

/** Runs `lifeline <args>` with the vCenter password in its environment and no other LIFELINE_ setting; never rejects. */
export function lifeline(args: string[], password: string, timeoutMs = 240_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIFELINE_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [LIFELINE_BIN, ...args], { env: { ...env, LIFELINE_VC_PASSWORD: password }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A VM as the side's vCenter reports it. */
export async function vmAt(side: Pick<SiteSide, 'backup' | 'vc'>, moref: string) {
  return (await side.backup.vcenter(side.vc.instanceUuid, never)).getVm(moref, never);
}

/** The flat file of a VM's first disk in the side's simulator. */
export async function diskFile(side: Pick<SiteSide, 'backup' | 'vc'>, moref: string): Promise<string> {
  const { datastore, path } = parseDatastorePath((await vmAt(side, moref)).disks[0]!.fileName);
  return join(side.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk'));
}

export interface JobBody {
  id: string;
  kind: string;
  state: string;
  phase?: string | null;
  error: { code: string; message: string } | null;
  result: Record<string, unknown> | null;
}

export interface Failover {
  id: string;
  mode: string;
  state: string;
  name: string;
  pointId: string;
  dataLossWindowSeconds: number;
  request: { networks: Record<string, string>; datastore: string; folder: string | null; pool: string | null; powerOn: boolean; toolsTimeoutSeconds: number; hookSet?: string | null };
  vm: { moref: string; instanceUuid: string | null } | null;
  report: {
    startedAt: string | null;
    createdAt: string | null;
    poweredOnAt: string | null;
    toolsReadyAt: string | null;
    toolsWait?: string | null;
    hook?: { set: string; ok: boolean; messages: string[] } | null;
    rtoSeconds: number | null;
    failures: string[];
    cleanedAt: string | null;
    unusedOverrides?: { source: string; target: string; reason: string }[];
  };
  planned?: { shutdownTimeoutSeconds: number; sourceJobId: string | null; shutdown: string | null; chunks: number | null; chunksSent: number | null } | null;
}

export interface ReplicatedVm {
  vm: { id: string; name: string };
  points: number;
  latestPoint: { id: string; createdAt: string } | null;
  lagSeconds: number | null;
  missing: { failover: { kind: string; source: string }[]; test: { kind: string; source: string }[] };
}

/** Every file under the datastores' folders, with its size. */
export async function datastoreFiles(side: Pick<SiteSide, 'vc'>): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        // A folder counts too, empty or not: a leftover empty folder blocks the next VM of its name.
        out.push(`${prefix}${e.name}/`);
        await walk(p, `${prefix}${e.name}/`);
      } else out.push(`${prefix}${e.name} ${(await stat(p)).size}`);
    }
  };
  for (const ds of side.vc.datastores) await walk(ds.dir, `[${ds.name}] `);
  return out.sort();
}

/** "<name> <power state>" of each VM of the site's vCenter, sorted. */
export async function vmNames(side: Pick<SiteSide, 'backup' | 'vc'>): Promise<string[]> {
  const vc = await side.backup.vcenter(side.vc.instanceUuid, never);
  return (await vc.inventory(never)).vms.map((v) => `${v.name} ${v.powerState}`).sort();
}

/** Polls the job until it ends (up to `seconds`, 3 minutes by default). */
export async function waitJob(side: Pick<SiteSide, 'call' | 'admin'>, id: string, seconds = 180): Promise<JobBody> {
  for (let i = 0; i < seconds * 5; i++) {
    const job = (await side.call(side.admin, 'GET', `/jobs/${id}`)).json<JobBody>();
    if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not end in ${seconds} s`);
}

/** Waits until `n` replication jobs at A have succeeded (up to 3 minutes); fails at the first that failed. */
export async function replicationsSucceeded(a: Pick<SiteSide, 'call' | 'admin'>, n: number, whileRunning?: () => Promise<void>): Promise<JobBody[]> {
  for (let i = 0; ; i++) {
    const jobs = (await a.call(a.admin, 'GET', '/jobs?kind=replication')).json<{ items: JobBody[] }>().items;
    if (jobs.filter((j) => j.state === 'succeeded').length >= n) return jobs;
    if (jobs.some((j) => j.state === 'failed') || i > 900) throw new Error(`replication did not succeed: ${JSON.stringify(jobs)}`);
    await whileRunning?.();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A policy at A that replicates to its one paired DR site, given to A's first `vms` VMs, each
 * backed up once; resolves once their replications have succeeded, with the policy's id.
 */
export async function protectAndReplicate(a: Pick<SiteSide, 'call' | 'admin' | 'urn'>, o: { vms: number; keepLast: number }): Promise<string> {
  const [peer] = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { name: string }[] }>().peers;
  const policy = await a.call(a.admin, 'POST', '/policies', { name: 'Replicated', rpoSeconds: 3600, retention: { keepLast: o.keepLast }, replicationSite: peer!.name });
  if (policy.status !== 201) throw new Error(`policy refused: ${policy.text}`);
  const policyId = policy.json<{ id: string }>().id;
  for (let i = 0; i < o.vms; i++) {
    const vm = encodeURIComponent(a.urn(i));
    await a.call(a.admin, 'PUT', `/vms/${vm}/protection`, { policyId });
    await a.call(a.admin, 'POST', `/vms/${vm}/backup`);
  }
  await replicationsSucceeded(a, o.vms);
  return policyId;
}

export interface FailbackSites {
  readonly sites: TwoSites;
  /** The source site (A) as B knows it. */
  readonly sourceId: string;
  /** A's replicated VMs' ids (`<vCenter instance UUID>:<moref>`), in A's order. */
  readonly vmIds: string[];
}

/**
 * Two paired sites with stores, as a failback starts from: A's VMs (8 MiB disks, `vms` of them,
 * or `aVms` when A's vCenter is to hold more; B's vCenter holds `vms` unless `bVms` says otherwise)
 * each filled with `fillMiB` of data (seed `seed + i`), the first `vms` protected and replicated to
 * B once; B's mappings send A's network and datastore to its own of the
 * same names. The sites are stopped when any of it fails.
 */
export async function startFailbackSites(o: { vms: number; aVms?: number; bVms?: number; fillMiB: number; seed: number; files?: TwoSiteOptions['files'] }): Promise<FailbackSites> {
  const sites = await startTwoSites({
    stores: true,
    paired: true,
    vms: o.vms,
    sim: { 'site-a': { diskSize: 8 * MiB, ...(o.aVms === undefined ? {} : { vms: o.aVms }) }, 'site-b': { diskSize: 8 * MiB, ...(o.bVms === undefined ? {} : { vms: o.bVms }) } },
    ...(o.files === undefined ? {} : { files: o.files }),
    prepare: async (name, vc) => {
      if (name === 'site-a') for (const [i, vm] of vc.vms.entries()) await fillDisk(vm.disks[0]!.path, o.fillMiB * MiB, o.seed + i);
    },
  });
  try {
    const { a, b } = sites;
    await protectAndReplicate(a, { vms: o.vms, keepLast: 5 });
    const sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' } });
    if (put.status !== 200) throw new Error(`mappings refused: ${put.text}`);
    return { sites, sourceId, vmIds: Array.from({ length: o.vms }, (_, i) => `${a.vc.instanceUuid}:${a.moref(i)}`) };
  } catch (err) {
    await sites.stop();
    throw err;
  }
}
