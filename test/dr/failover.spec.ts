// Disaster recovery at the DR site between two real Lifeline servers and two simulated vCenters:
// a VM of the production site A is backed up and replicated to B; at B an administrator maps A's
// network and datastore to B's (and a test network), sees which replicated VMs lack a mapping,
// runs a drill (test failover) that powers the VM on on the test network and cleans it up leaving
// B's inventory and datastores exactly as before, and — with A's server stopped — fails the VM
// over for real: the VM at B holds the replicated disks byte for byte, and a fault injected on
// CreateVM_Task or PowerOnVM_Task at B fails the failover visibly with nothing left behind.
import { join } from 'node:path';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { sha256File } from '../store/store-fixtures.js';
import { startTwoSites, type TwoSites } from '../sites/two-site-fixture.js';
import { datastoreFiles, protectAndReplicate, vmNames, waitJob, type Failover, type JobBody, type ReplicatedVm } from './dr-spec-kit.js';

const SLOW = 600_000;
const never = new AbortController().signal;

describe('disaster recovery at the DR site', () => {
  let sites: TwoSites;
  let sourceId: string;
  let vmId: string;
  let vmId1: string;
  let pointId: string;
  let diskSha: string;
  let diskSha1: string;
  let testNetwork: string;
  let mappingsAtSource: number;
  const mappings = () => ({ networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' }, testNetworks: { 'VM Network': testNetwork } });

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      portgroups: { 'site-b': ['DR Test Network'] },
      prepare: async (name, vc) => {
        if (name === 'site-a') {
          await fillDisk(vc.vms[0]!.disks[0]!.path, 12 * 1024 * 1024, 11);
          await fillDisk(vc.vms[1]!.disks[0]!.path, 6 * 1024 * 1024, 12);
        }
      },
    });
    const { a, b } = sites;
    const [peer] = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { id: string; name: string }[] }>().peers;
    await protectAndReplicate(a, { vms: 2, keepLast: 3 });
    diskSha = await sha256File(a.vc.vms[0]!.disks[0]!.path);
    diskSha1 = await sha256File(a.vc.vms[1]!.disks[0]!.path);
    mappingsAtSource = (await a.call(a.admin, 'GET', `/sites/${peer!.id}/mappings`)).status;
    sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const inv = await (await b.backup.vcenter(b.vc.instanceUuid, never)).inventory(never);
    // The isolated network of drills: another port group of B's than the production one.
    testNetwork = inv.networks.find((n) => n.name !== 'VM Network')!.name;
    const vms = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items;
    vmId = vms[0]!.vm.id;
    vmId1 = vms[1]!.vm.id;
    pointId = vms[0]!.latestPoint!.id;
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, mappings());
    if (put.status !== 200) throw new Error(`mappings refused: ${put.text}`);
  }, SLOW);

  // A delay or fault one spec injected and did not use up does not reach the next (specs run in
  // random order: a delay left on CreateVM_Task would take the place of the next spec's fault).
  beforeEach(async () => {
    await sites.b.vc.clearFaults();
  });

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  it('lists the replicated VMs with the mappings each lacks, and stores only mappings whose targets exist at the DR site', async () => {
    const { a, b } = sites;
    // Mappings are the DR site's: the source site has none to set (asked before its server stopped).
    expect(mappingsAtSource).toBe(409);

    // A target B does not have is refused, naming it; nothing is stored.
    const bad = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { ...mappings(), networks: { 'VM Network': 'No Such Network' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('No Such Network');
    const badDs = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { ...mappings(), datastores: { LocalDS_0: 'nowhere' } });
    expect(badDs.status).toBe(400);
    expect(badDs.text).toContain('nowhere');
    const badFolder = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { ...mappings(), folder: 'group-v999999' });
    expect(badFolder.status).toBe(400);
    expect(badFolder.text).toContain('group-v999999');
    expect((await b.call(b.admin, 'GET', `/sites/${sourceId}/mappings`)).json<{ mappings: unknown }>().mappings).toEqual({ vcenterGuid: null, folder: null, resourcePool: null, ...mappings() });

    // Without a network mapping the VM is reported with the mapping it lacks, and refused.
    const partial = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { datastores: { LocalDS_0: 'LocalDS_0', Typo_DS: 'LocalDS_0' } });
    expect(partial.status).toBe(200);
    expect(partial.json<{ unused: string[] }>().unused).toEqual(['datastore Typo_DS']);
    const [vm] = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items;
    expect(vm!.vm.name).toBe(a.vc.vms[0]!.name);
    expect(vm!.latestPoint!.id).toBe(pointId);
    expect(vm!.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(vm!.missing.failover).toEqual([{ kind: 'network', source: 'VM Network' }]);
    expect(vm!.missing.test).toEqual([{ kind: 'test-network', source: 'VM Network' }]);
    const refused = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, { mode: 'disaster' });
    expect(refused.status).toBe(409);
    expect(refused.json<{ code: string; detail: string }>().code).toBe('dr-mapping-missing');
    expect(refused.text).toContain('network VM Network');

    const restored = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, mappings());
    expect(restored.status).toBe(200);
    const [ready] = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items;
    expect(ready!.missing).toEqual({ failover: [], test: [] });
  });

  const failOver = (body: Record<string, unknown>) => sites.b.call(sites.b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, body);

  /** The new VM's disk file at B, as a local path. */
  async function diskFileAtB(moref: string): Promise<string> {
    const { b } = sites;
    const vm = await (await b.backup.vcenter(b.vc.instanceUuid, never)).getVm(moref, never);
    const { datastore, path } = parseDatastorePath(vm.disks[0]!.fileName);
    return join(b.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk'));
  }

  it('runs a drill on the test network, leaves the production site untouched, and its clean-up leaves the DR site exactly as before', async () => {
    const { a, b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const aVmsBefore = await vmNames(a);

    // The simulator never starts VMware Tools in a guest: the wait ends after 1 s, and the report says so.
    const started = await failOver({ mode: 'test', toolsTimeoutSeconds: 1 });
    expect(started.status).withContext(started.text).toBe(202);
    const accepted = started.json<{ job: JobBody; failover: Failover }>();
    expect(accepted.failover.mode).toBe('test');
    expect(accepted.failover.name).toBe(`${a.vc.vms[0]!.name}-dr-test`);
    expect(accepted.failover.pointId).toBe(pointId);
    expect(accepted.failover.request.networks).toEqual({ 'VM Network': 'DR Test Network' });
    const job = await waitJob(b, accepted.job.id);
    expect(job.kind).toBe('failover');
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');

    const drill = (await b.call(b.admin, 'GET', `/failovers/${accepted.failover.id}`)).json<Failover>();
    expect(drill.state).toBe('up');
    const vc = await b.backup.vcenter(b.vc.instanceUuid, never);
    const made = await vc.getVm(drill.vm!.moref, never);
    expect(made.name).toBe(drill.name);
    expect(made.powerState).toBe('poweredOn');
    expect(made.nics.map((n) => n.network.name)).toEqual(['DR Test Network']);
    expect(await sha256File(await diskFileAtB(drill.vm!.moref))).toBe(diskSha);
    // The report: each time in order, and the RTO measured from the start.
    const r = drill.report;
    expect(r.failures).toEqual(['wait-for-tools: VMware Tools did not report running within 1 s; the VM is up']);
    expect(r.toolsReadyAt).toBeNull();
    expect(Date.parse(r.startedAt!)).toBeLessThanOrEqual(Date.parse(r.createdAt!));
    expect(Date.parse(r.createdAt!)).toBeLessThanOrEqual(Date.parse(r.poweredOnAt!));
    // Without Tools, the RTO is measured to power-on.
    expect(r.rtoSeconds).toBe(Math.round((Date.parse(r.poweredOnAt!) - Date.parse(r.startedAt!)) / 100) / 10);
    expect((await b.call(b.admin, 'GET', '/failovers')).json<{ items: Failover[] }>().items.map((f) => f.id)).toContain(drill.id);
    // The production site's VMs are as they were.
    expect(await vmNames(a)).toEqual(aVmsBefore);
    expect(await sha256File(a.vc.vms[0]!.disks[0]!.path)).toBe(diskSha);

    // Clean-up removes the drill's VM and its folder, and nothing else.
    const cleanup = await b.call(b.admin, 'POST', `/failovers/${drill.id}/cleanup`);
    expect(cleanup.status).withContext(cleanup.text).toBe(202);
    const cleanJob = await waitJob(b, cleanup.json<{ job: JobBody }>().job.id);
    expect(cleanJob.state).withContext(JSON.stringify(cleanJob.error)).toBe('succeeded');
    const cleaned = (await b.call(b.admin, 'GET', `/failovers/${drill.id}`)).json<Failover>();
    expect(cleaned.state).toBe('cleaned');
    expect(cleaned.report.cleanedAt).not.toBeNull();
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    expect((await b.call(b.admin, 'POST', `/failovers/${drill.id}/cleanup`)).status).toBe(409);
  }, SLOW);

  it("fails over with the production site's server stopped: the VM holds the replicated disk byte for byte; faults at each vCenter step leave nothing behind", async () => {
    const { a, b } = sites;
    const sourceMacs = (await (await a.backup.vcenter(a.vc.instanceUuid, never)).getVm(a.moref(0), never)).nics.map((n) => n.macAddress);
    await a.server.stop();
    const sim = b.vc;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    for (const method of ['CreateVM_Task', 'PowerOnVM_Task']) {
      await sim.injectFault({ method, fault: 'InvalidState', count: 1 });
      const started = await failOver({ mode: 'disaster', name: 'faulted', toolsTimeoutSeconds: 0 });
      expect(started.status).withContext(started.text).toBe(202);
      const { job, failover } = started.json<{ job: JobBody; failover: Failover }>();
      const done = await waitJob(b, job.id);
      expect(done.state).withContext(method).toBe('failed');
      expect(done.error?.message).withContext(method).toContain('InvalidState');
      const rec = (await b.call(b.admin, 'GET', `/failovers/${failover.id}`)).json<Failover>();
      expect(rec.state).toBe('failed');
      expect(rec.vm).toBeNull();
      expect(rec.report.failures.length).withContext(method).toBe(1);
      expect(rec.report.failures[0]).toContain('InvalidState');
      expect(await vmNames(b)).withContext(method).toEqual(vmsBefore);
      expect(await datastoreFiles(b)).withContext(method).toEqual(filesBefore);
    }
    await sim.clearFaults();

    // Both simulators name their VMs alike: B has a VM of the source VM's name, so the failover names its own.
    const started = await failOver({ mode: 'disaster', name: 'recovered-vm0', keepMacAddresses: true, toolsTimeoutSeconds: 0 });
    expect(started.status).withContext(started.text).toBe(202);
    const { job, failover } = started.json<{ job: JobBody; failover: Failover }>();
    expect(failover.dataLossWindowSeconds).toBeGreaterThanOrEqual(0);
    const done = await waitJob(b, job.id);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    const rec = (await b.call(b.admin, 'GET', `/failovers/${failover.id}`)).json<Failover>();
    expect(rec.state).toBe('up');
    expect(rec.name).toBe('recovered-vm0');
    expect(rec.report.poweredOnAt).not.toBeNull();
    expect(rec.report.failures).toEqual([]);
    const vc = await b.backup.vcenter(b.vc.instanceUuid, never);
    const made = await vc.getVm(rec.vm!.moref, never);
    expect(made.powerState).toBe('poweredOn');
    expect(made.nics.map((n) => n.network.name)).toEqual(['VM Network']);
    // Asked to keep them, the cards have the source VM's MAC addresses.
    expect(sourceMacs.length).toBeGreaterThan(0);
    expect(made.nics.map((n) => n.macAddress)).toEqual(sourceMacs);
    expect(await sha256File(await diskFileAtB(rec.vm!.moref))).toBe(diskSha);
    // A failover's VM is production now: there is no clean-up of it.
    const cleanup = await b.call(b.admin, 'POST', `/failovers/${rec.id}/cleanup`);
    expect(cleanup.status).toBe(409);
  }, SLOW);

  it('runs a recovery plan as a drill, group after group, and its clean-up leaves the DR site exactly as before', async () => {
    const { a, b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    // A VM the DR site holds no points of is refused, naming it.
    const bad = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Bad', siteId: sourceId, groups: [{ vms: ['no-such-vm'] }] });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('no-such-vm');
    const created = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Tier plan', siteId: sourceId, groups: [{ vms: [vmId] }, { vms: [vmId1] }], toolsTimeoutSeconds: 0 });
    expect(created.status).withContext(created.text).toBe(201);
    const planId = created.json<{ id: string }>().id;
    expect((await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`)).status).toBe(409);

    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    expect(started.status).withContext(started.text).toBe(202);
    const job = await waitJob(b, started.json<{ job: JobBody }>().job.id);
    expect(job.kind).toBe('recovery-plan');
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');

    const plan = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { mode: string; failovers: Failover[][] }[] }>();
    const [run] = plan.runs;
    expect(run!.mode).toBe('test');
    const [[first], [second]] = run!.failovers as [[Failover], [Failover]];
    expect([first.name, second.name]).toEqual([`${a.vc.vms[0]!.name}-dr-test`, `${a.vc.vms[1]!.name}-dr-test`]);
    expect([first.state, second.state]).toEqual(['up', 'up']);
    // Group order: the second group started only once the first group's VM was up.
    expect(Date.parse(second.report.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.report.poweredOnAt!));
    const vc = await b.backup.vcenter(b.vc.instanceUuid, never);
    for (const f of [first, second]) {
      const made = await vc.getVm(f.vm!.moref, never);
      expect(made.powerState).toBe('poweredOn');
      expect(made.nics.map((n) => n.network.name)).toEqual(['DR Test Network']);
    }
    expect(await sha256File(await diskFileAtB(first.vm!.moref))).toBe(diskSha);
    expect(await sha256File(await diskFileAtB(second.vm!.moref))).toBe(diskSha1);

    // One clean-up of a drill at a time: the first VM's own clean-up, held at vCenter's power-off,
    // keeps the plan's from starting, and the plan's from then on keeps the second VM's own.
    await b.vc.injectDelay('PowerOffVM_Task', 1500, 1);
    const own = await b.call(b.admin, 'POST', `/failovers/${first.id}/cleanup`);
    expect(own.status).withContext(own.text).toBe(202);
    const planWhileOwn = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`);
    expect(planWhileOwn.status).withContext(planWhileOwn.text).toBe(409);
    expect(planWhileOwn.json<{ code: string; detail: string }>().detail).toContain(`the drill ${first.name} of the run is being cleaned up`);
    expect((await waitJob(b, own.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    await b.vc.injectDelay('PowerOffVM_Task', 1500, 1);
    const cleanup = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`);
    expect(cleanup.status).withContext(cleanup.text).toBe(202);
    const secondOwn = await b.call(b.admin, 'POST', `/failovers/${second.id}/cleanup`);
    expect(secondOwn.status).withContext(secondOwn.text).toBe(409);
    expect(secondOwn.json<{ code: string }>().code).toBe('busy');
    const cleanJob = await waitJob(b, cleanup.json<{ job: JobBody }>().job.id);
    expect(cleanJob.state).withContext(JSON.stringify(cleanJob.error)).toBe('succeeded');
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    const after = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { failovers: Failover[][] }[] }>();
    expect(after.runs[0]!.failovers.flat().map((f) => f.state)).toEqual(['cleaned', 'cleaned']);
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);

  /**
   * Starts a drill named `name` with `method` at B answering `delayMs` late, cancels it once the
   * job is in `phase` (and `waitMs` more), and checks that the job ends cancelled and, once
   * vCenter's late work has ended, that B's VMs and datastores are as before. The failover's record.
   */
  async function cancelDuring(o: { method: string; delayMs: number; phase: string; waitMs: number; name: string }): Promise<Failover> {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    await b.vc.injectDelay(o.method, o.delayMs, 1);
    const started = await failOver({ mode: 'test', name: o.name, toolsTimeoutSeconds: 0 });
    expect(started.status).withContext(started.text).toBe(202);
    const { job, failover } = started.json<{ job: JobBody; failover: Failover }>();
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${job.id}`)).json<{ phase: string | null }>().phase !== o.phase; i++) {
      if (i > 600) throw new Error(`the failover never reached its phase ${o.phase}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, o.waitMs));
    expect([200, 202]).toContain((await b.call(b.admin, 'POST', `/jobs/${job.id}/cancel`)).status);
    expect((await waitJob(b, job.id)).state).toBe('cancelled');
    // vCenter goes on with the delayed call after the cancel; once it has ended, no VM, file or folder is left.
    await new Promise((r) => setTimeout(r, o.delayMs));
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    return (await b.call(b.admin, 'GET', `/failovers/${failover.id}`)).json<Failover>();
  }

  it('cancelled while vCenter creates the VM, a failover leaves nothing behind and says so', async () => {
    const rec = await cancelDuring({ method: 'CreateVM_Task', delayMs: 2000, phase: 'create', waitMs: 0, name: 'cancelled-drill' });
    expect(rec.state).toBe('failed');
    expect(rec.report.failures.length).toBe(1);
    expect(rec.report.failures[0]).toMatch(/^create: /);
  }, SLOW);

  it("cancelled while vCenter makes the VM's folder, a failover leaves no folder behind", async () => {
    // MakeDirectory answers after 1.5 s, and makes the folder then: had the job stopped waiting for
    // it at the cancel, the folder would be made after the job left, unknown to it.
    const rec = await cancelDuring({ method: 'MakeDirectory', delayMs: 1500, phase: 'prepare', waitMs: 500, name: 'cancelled-folder' });
    expect(rec.state).toBe('failed');
  }, SLOW);

  it("restarted in the middle of a plan's run, the DR site keeps the VM that was up and leaves nothing of the step under way", async () => {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const created = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Restarted plan', siteId: sourceId, groups: [{ vms: [vmId] }, { vms: [vmId1] }], toolsTimeoutSeconds: 0 });
    expect(created.status).withContext(created.text).toBe(201);
    const planId = created.json<{ id: string }>().id;
    // The second group's VM is slow to create: the server stops while it is being made.
    await b.vc.injectDelay('CreateVM_Task', 2500, 2);
    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    expect(started.status).withContext(started.text).toBe(202);
    const jobId = started.json<{ job: JobBody }>().job.id;
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<{ phase: string | null }>().phase !== 'group-2'; i++) {
      if (i > 600) throw new Error('the plan never reached its second group');
      await new Promise((r) => setTimeout(r, 100));
    }
    await b.restart();
    await new Promise((r) => setTimeout(r, 2500));
    let failovers: Failover[] = [];
    for (let i = 0; ; i++) {
      const plan = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: { failovers: Failover[][] }[] }>();
      failovers = plan.runs[0]!.failovers.flat();
      if (failovers.every((f) => f.state !== 'starting')) break;
      if (i > 300) throw new Error(`steps still starting: ${JSON.stringify(failovers.map((f) => f.state))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<JobBody>().state).not.toBe('succeeded');
    const [first, second] = failovers as [Failover, Failover];
    expect(first.state).toBe('up');
    expect(second.state).toBe('failed');
    expect(second.vm).toBeNull();
    expect(second.report.failures.length).toBeGreaterThan(0);
    // Only the first group's VM is there; the clean-up then leaves B as it was.
    expect((await vmNames(b)).filter((v) => !vmsBefore.includes(v))).toEqual([`${first.name} poweredOn`]);
    const cleanup = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`);
    expect(cleanup.status).withContext(cleanup.text).toBe(202);
    expect((await waitJob(b, cleanup.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
  }, SLOW);
});
