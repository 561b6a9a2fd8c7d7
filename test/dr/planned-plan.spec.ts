// A recovery plan run in mode planned between two real Lifeline servers and two simulated
// vCenters: each VM of the plan goes through a planned migration in its group's turn — A shuts it
// down (a guest with VMware Tools that ignores the request is powered off once the timeout has
// passed; a guest without Tools, which the simulator answers ShutdownGuest with ToolsUnavailable,
// at once), backs it up a last time and replicates that point, and B recovers exactly that point.
// Writes made through the harness into A's disks just before the run are at B byte for byte.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { sha256File } from '../store/store-fixtures.js';
import { startTwoSites, type SiteSide, type TwoSites } from '../sites/two-site-fixture.js';
import { protectAndReplicate, waitJob, type Failover, type JobBody, type ReplicatedVm } from './dr-spec-kit.js';

const SLOW = 240_000;
const never = new AbortController().signal;

async function powerState(side: SiteSide, moref: string): Promise<string> {
  return (await (await side.backup.vcenter(side.vc.instanceUuid, never)).getVm(moref, never)).powerState;
}

/** The sha-256 of the first disk of a VM at the site, read from its datastore file. */
async function diskSha(side: SiteSide, moref: string): Promise<string> {
  const vm = await (await side.backup.vcenter(side.vc.instanceUuid, never)).getVm(moref, never);
  const { datastore, path } = parseDatastorePath(vm.disks[0]!.fileName);
  return sha256File(join(side.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk')));
}

describe('a recovery plan run as a planned migration', () => {
  let sites: TwoSites;
  let sourceId: string;
  const vmIds: string[] = [];
  const before: string[] = [];

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      portgroups: { 'site-b': ['DR Test Network'] },
      // No VMs of its own at B: the plan's VMs keep A's names there.
      sim: { 'site-a': { vms: 4, diskSize: '16MiB' }, 'site-b': { vms: 0 } },
      prepare: async (name, vc) => {
        if (name === 'site-a') for (const [i, vm] of vc.vms.entries()) await fillDisk(vm.disks[0]!.path, 4 * 1024 * 1024, 31 + i);
      },
    });
    const { a, b } = sites;
    await protectAndReplicate(a, { vms: 4, keepLast: 5 });
    sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const vms = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items;
    for (const i of [0, 1, 2, 3]) {
      const v = vms.find((x) => x.vm.id.endsWith(`:${a.moref(i)}`))!;
      vmIds.push(v.vm.id);
      before.push(v.latestPoint!.id);
    }
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' }, testNetworks: { 'VM Network': 'DR Test Network' } });
    if (put.status !== 200) throw new Error(`mappings refused: ${put.text}`);
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  it("lists every source site's replicated VMs with their site, and a VM's points newest first", async () => {
    const { b } = sites;
    const all = (await b.call(b.admin, 'GET', '/replicated-vms')).json<{ items: (ReplicatedVm & { site: { id: string; name: string } })[] }>().items;
    expect(all.map((v) => `${v.site.name} ${v.vm.id}`).sort()).toEqual(vmIds.map((id) => `site-a ${id}`).sort());
    expect(all.every((v) => v.site.id === sourceId && v.missing.failover.length === 0)).toBeTrue();
    const row = all.find((v) => v.vm.id === vmIds[0])!;
    const points = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[0]!)}/points`)).json<{ items: { id: string; createdAt: string }[] }>().items;
    expect(points.length).toBe(row.points);
    expect(points[0]).toEqual(row.latestPoint!);
    expect(points.map((p) => p.createdAt)).toEqual(points.map((p) => p.createdAt).sort().reverse());
    const unknown = await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(`${sites.a.vc.instanceUuid}:vm-99999`)}/points`);
    expect(unknown.status).toBe(404);
  });

  it("says in a drill's report that a network override was not used: a drill keeps the test networks", async () => {
    const { b } = sites;
    const created = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Drill', siteId: sourceId, groups: [{ vms: [vmIds[0]] }], toolsTimeoutSeconds: 0, vmOptions: { [vmIds[0]!]: { networks: { 'VM Network': 'VM Network' } } } });
    expect(created.status).withContext(created.text).toBe(201);
    const planId = created.json<{ id: string }>().id;
    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    expect(started.status).withContext(started.text).toBe(202);
    expect((await waitJob(b, started.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    const rec = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { failovers: Failover[][] }[] }>().runs[0]!.failovers[0]![0]!;
    expect(rec.request.networks).toEqual({ 'VM Network': 'DR Test Network' });
    expect(rec.report.unusedOverrides).toEqual([{ source: 'VM Network', target: 'VM Network', reason: 'test-networks' }]);
    const cleanup = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`);
    expect((await waitJob(b, cleanup.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);

  it('migrates the VMs group by group, powering a guest that does not shut down off after the timeout, and loses no write made before the run', async () => {
    const { a, b } = sites;
    const plan = { name: 'Planned', siteId: sourceId, groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }], toolsTimeoutSeconds: 0 };
    // A planned migration recovers the point A makes last: a plan pinned to a point is refused in this mode.
    const pinned = await b.call(b.admin, 'POST', '/recovery-plans', { ...plan, vmOptions: { [vmIds[1]!]: { point: before[1] } } });
    expect(pinned.status).withContext(pinned.text).toBe(201);
    const planId = pinned.json<{ id: string }>().id;
    const refused = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'planned' });
    expect(refused.status).toBe(400);
    expect(refused.json<{ errors?: { field: string }[] }>().errors?.[0]?.field).toBe(`vmOptions.${vmIds[1]}.point`);
    expect((await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test', shutdownTimeoutSeconds: 1 })).status).toBe(400);
    expect((await b.call(b.admin, 'PUT', `/recovery-plans/${planId}`, plan)).status).toBe(200);

    // VM 0's guest runs VMware Tools but hangs on its way down; VM 1's has no Tools.
    await a.vc.setGuestTools(a.moref(0), { running: true, ignoreShutdown: true });
    const shas: string[] = [];
    for (const i of [0, 1]) {
      const disk = a.vc.vms[i]!.disks[0]!;
      await a.vc.writeDisk(a.moref(i), disk.key, 2 * 1024 * 1024 + 8192 * i, randomBytes(128 * 1024));
      shas.push(await sha256File(disk.path));
    }

    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'planned', shutdownTimeoutSeconds: 1 });
    expect(started.status).withContext(started.text).toBe(202);
    expect(started.json<{ run: { mode: string } }>().run.mode).toBe('planned');
    const done = await waitJob(b, started.json<{ job: JobBody }>().job.id, 240);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');

    const runs = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { mode: string; failovers: Failover[][] }[] }>().runs;
    expect(runs[0]!.mode).toBe('planned');
    const [[first], [second]] = runs[0]!.failovers as [[Failover], [Failover]];
    for (const [i, rec] of [first, second].entries()) {
      expect(rec.state).withContext(rec.report.failures.join('; ')).toBe('up');
      expect(rec.mode).toBe('planned');
      expect(rec.dataLossWindowSeconds).toBe(0);
      // The point A made after the shutdown, holding the writes made before the run.
      expect(rec.pointId).not.toBe(before[i]!);
      expect(rec.planned!.shutdown).toBe('powered-off');
      expect(await diskSha(b, rec.vm!.moref)).withContext(`VM ${i}`).toBe(shas[i]!);
      expect(await powerState(a, a.moref(i))).toBe('poweredOff');
    }
    // Groups in order: the second VM's step started once the first VM was up.
    expect(Date.parse(second.report.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.report.poweredOnAt!));

    // How each VM went down at A: after the timeout, and at once without Tools.
    // This run's jobs at A (the other spec, run before or after, makes its own).
    const ours = [first.planned!.sourceJobId, second.planned!.sourceJobId];
    const sourceJobs = (await a.call(a.admin, 'GET', '/jobs?kind=planned-migration')).json<{ items: JobBody[] }>().items.filter((j) => ours.includes(j.id));
    const logOf = async (rec: Failover) => (await a.call(a.admin, 'GET', `/jobs/${rec.planned!.sourceJobId}`)).text;
    expect(sourceJobs.map((j) => j.state)).toEqual(['succeeded', 'succeeded']);
    const hung = await logOf(first);
    expect(hung).toContain('waiting up to 1 s');
    expect(hung).toContain('the guest did not shut down within 1 s; powering the VM off');
    expect(await logOf(second)).toContain('ToolsUnavailable');
  }, SLOW);

  it('asks the source site for the VMs of a group together, not one after another', async () => {
    const { a, b } = sites;
    const created = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'One group', siteId: sourceId, groups: [{ vms: [vmIds[2], vmIds[3]] }], toolsTimeoutSeconds: 0 });
    expect(created.status).withContext(created.text).toBe(201);
    const planId = created.json<{ id: string }>().id;
    // VM 2's guest hangs on its way down for the whole timeout (3 s); VM 3's has no Tools and goes down at once.
    await a.vc.setGuestTools(a.moref(2), { running: true, ignoreShutdown: true });
    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'planned', shutdownTimeoutSeconds: 3 });
    expect(started.status).withContext(started.text).toBe(202);
    const done = await waitJob(b, started.json<{ job: JobBody }>().job.id, 240);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');

    const runs = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { failovers: Failover[][] }[] }>().runs;
    const [[slow, quick]] = runs[0]!.failovers as [[Failover, Failover]];
    expect([slow.state, quick.state]).toEqual(['up', 'up']);
    for (const [i, rec] of [slow, quick].entries()) {
      expect(rec.planned!.shutdown).toBe('powered-off');
      expect(await powerState(a, a.moref(2 + i))).toBe('poweredOff');
    }
    // A's job for VM 3 started while A's job for VM 2 still waited for its guest: A was asked for both at once.
    const jobAt = async (rec: Failover) => (await a.call(a.admin, 'GET', `/jobs/${rec.planned!.sourceJobId}`)).json<{ startedAt: string; finishedAt: string }>();
    const [slowJob, quickJob] = [await jobAt(slow), await jobAt(quick)];
    expect(Date.parse(quickJob.startedAt)).toBeLessThan(Date.parse(slowJob.finishedAt));
    expect(Date.parse(slowJob.finishedAt) - Date.parse(slowJob.startedAt)).toBeGreaterThanOrEqual(3000);
  }, SLOW);
});
