/**
 * `npm run bench -- failover [--vms 10] [--disk-gib 1]`: a recovery plan at a DR site, end to
 * end, between two real Lifeline servers and two simulated vCenters on this machine (the specs'
 * two-site fixture, test/sites/two-site-fixture.ts). Site A's VMs each have a disk of `--disk-gib`
 * filled with mixed guest data (text, random and repeated 1 MiB blocks, one block in five a hole:
 * test/demo/demo-seed.ts), are backed up and replicated to B (not timed). At B a plan holds them
 * in 3 groups (as even as can be: 3 + 4 + 3, at most 4 VMs of a group at once), with no wait for VMware
 * Tools (the simulator never starts Tools in a guest). Timed, in wall seconds from the request to
 * the job's end, as the API reports it:
 *   test      a test failover (DR drill) of the whole plan on B's isolated port group;
 *   cleanup   the drill's clean-up;
 *   disaster  a failover of the whole plan for real, with A's server stopped;
 * rto_max_s = the largest RTO of a VM of the disaster run (from its step's start to power-on).
 * Per step it prints the restore (start → VM created, mostly the disk upload) and power-on times.
 * The machine's load (uptime) is printed with the figures: it is shared.
 *
 * Environment: LIFELINE_BENCH_DIR is not used; the simulators' datastores live in the system's
 * temporary folder, as in the specs. LIFELINE_BENCH_PROFILE=<file> writes a CPU profile of this
 * process (both Lifeline servers run in it; the simulators are processes of their own) taken
 * during the drill only, for Chrome's DevTools or a script.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fillDisk } from '../test/demo/demo-seed.js';
import { startTwoSites, type SiteSide, type TwoSites } from '../test/sites/two-site-fixture.js';

const GiB = 1024 ** 3;
const never = new AbortController().signal;

interface Job {
  id: string;
  state: string;
  error: { code: string; message: string } | null;
}
interface Failover {
  name: string;
  state: string;
  report: { startedAt: string | null; createdAt: string | null; poweredOnAt: string | null; rtoSeconds: number | null; failures: string[] };
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();

async function waitJob(side: SiteSide, id: string): Promise<Job> {
  for (;;) {
    const job = (await side.call(side.admin, 'GET', `/jobs/${id}`)).json<Job>();
    if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(side: SiteSide, method: string, path: string, body?: unknown): Promise<{ s: number; job: Job }> {
  const t0 = performance.now();
  const r = await side.call(side.admin, method, path, body);
  if (r.status !== 202) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  const job = await waitJob(side, r.json<{ job: Job }>().job.id);
  const s = (performance.now() - t0) / 1000;
  if (job.state !== 'succeeded') throw new Error(`${path}: job ${job.state}: ${job.error?.message ?? ''}`);
  return { s, job };
}

function stepFigures(title: string, failovers: Failover[][]): number {
  const sec = (a: string | null, b: string | null) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : NaN);
  let rtoMax = 0;
  console.log(title);
  for (const [g, fs] of failovers.entries()) {
    const starts = fs.map((f) => Date.parse(f.report.startedAt ?? '')).filter(Number.isFinite);
    const ends = fs.map((f) => Date.parse(f.report.poweredOnAt ?? '')).filter(Number.isFinite);
    console.log(`  group ${g + 1}: ${fs.length} VM(s), ${((Math.max(...ends) - Math.min(...starts)) / 1000).toFixed(1)} s from its first start to its last power-on`);
    for (const f of fs) {
      rtoMax = Math.max(rtoMax, f.report.rtoSeconds ?? 0);
      console.log(`    ${f.name}: restore+create ${sec(f.report.startedAt, f.report.createdAt).toFixed(1)} s, power-on ${sec(f.report.createdAt, f.report.poweredOnAt).toFixed(1)} s, RTO ${f.report.rtoSeconds ?? '?'} s${f.report.failures.length ? `, failures: ${f.report.failures.join('; ')}` : ''}`);
    }
  }
  return rtoMax;
}

async function main(): Promise<void> {
  const vms = flag('vms', 10);
  const diskGiB = flag('disk-gib', 1);
  console.log(`load before: ${uptime()}`);
  const t0 = performance.now();
  let sites: TwoSites | undefined;
  try {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      vms,
      sim: { 'site-a': { diskSize: Math.round(diskGiB * GiB) }, 'site-b': { vms: 1, diskSize: '1MiB' } },
      portgroups: { 'site-b': ['DR Test Network'] },
      prepare: async (name, vc) => {
        if (name === 'site-a') for (const [i, vm] of vc.vms.entries()) await fillDisk(vm.disks[0]!.path, diskGiB * GiB, 100 + i);
      },
    });
    const { a, b } = sites;
    // B's own simulator VM bears the name of A's first VM: a failover for real would find the name taken.
    const bvc = await b.backup.vcenter(b.vc.instanceUuid, never);
    for (const v of (await bvc.inventory(never)).vms) {
      if (v.powerState !== 'poweredOff') await bvc.powerOff(v.moref);
      await bvc.destroyVm(v.moref);
    }
    const [peer] = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { id: string; name: string }[] }>().peers;
    const policy = (await a.call(a.admin, 'POST', '/policies', { name: 'Replicated', rpoSeconds: 86400, retention: { keepLast: 3 }, replicationSite: peer!.name })).json<{ id: string }>();
    for (let i = 0; i < vms; i++) {
      const vm = encodeURIComponent(a.urn(i));
      await a.call(a.admin, 'PUT', `/vms/${vm}/protection`, { policyId: policy.id });
      await a.call(a.admin, 'POST', `/vms/${vm}/backup`);
    }
    for (;;) {
      const jobs = (await a.call(a.admin, 'GET', '/jobs?kind=replication')).json<{ items: Job[] }>().items;
      if (jobs.filter((j) => j.state === 'succeeded').length >= vms) break;
      const failed = jobs.find((j) => j.state === 'failed');
      if (failed) throw new Error(`replication failed: ${failed.error?.message ?? ''}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`setup: ${vms} VMs of ${diskGiB} GiB backed up at A and replicated to B in ${((performance.now() - t0) / 1000).toFixed(0)} s (not timed)`);

    const sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' }, testNetworks: { 'VM Network': 'DR Test Network' } });
    if (put.status !== 200) throw new Error(`mappings: ${put.text}`);
    const ids = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: { vm: { id: string } }[] }>().items.map((v) => v.vm.id);
    // Three groups as even as can be (3 + 4 + 3 for 10 VMs).
    const cut = (g: number) => Math.round((g * ids.length) / 3);
    const groups = [0, 1, 2].map((g) => ids.slice(cut(g), cut(g + 1))).filter((g) => g.length > 0).map((g) => ({ vms: g }));
    const created = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Bench plan', siteId: sourceId, groups, maxParallel: 4, toolsTimeoutSeconds: 0 });
    if (created.status !== 201) throw new Error(`plan: ${created.text}`);
    const planId = created.json<{ id: string }>().id;
    const lastRun = async () => (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { failovers: Failover[][] }[] }>().runs[0]!.failovers;

    console.log(`load: ${uptime()}`);
    const profileFile = process.env['LIFELINE_BENCH_PROFILE'];
    const profiler = profileFile ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const test = await timed(b, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    if (profiler && profileFile) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(profileFile, JSON.stringify(profile));
      profiler.disconnect();
      console.log(`CPU profile of the drill: ${profileFile}`);
    }
    console.log(`test failover of the plan (${groups.map((g) => g.vms.length).join('+')} VMs): ${test.s.toFixed(1)} s`);
    const rtoTest = stepFigures('  drill steps:', await lastRun());
    console.log(`load: ${uptime()}`);
    const cleanup = await timed(b, 'POST', `/recovery-plans/${planId}/cleanup`);
    console.log(`clean-up: ${cleanup.s.toFixed(1)} s`);

    await a.server.stop();
    console.log(`load: ${uptime()}`);
    const disaster = await timed(b, 'POST', `/recovery-plans/${planId}/run`, { mode: 'disaster' });
    console.log(`failover of the plan with A's server stopped: ${disaster.s.toFixed(1)} s`);
    const rtoMax = stepFigures('  failover steps:', await lastRun());
    console.log(`largest RTO: drill ${rtoTest} s, failover ${rtoMax} s`);
    console.log(`load after: ${uptime()}`);
    console.log(JSON.stringify({ bench: 'failover', vms, test_s: +test.s.toFixed(1), cleanup_s: +cleanup.s.toFixed(1), disaster_s: +disaster.s.toFixed(1), rto_max_s: rtoMax }));
  } finally {
    await sites?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
