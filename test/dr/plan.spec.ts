// Recovery plans at the DR site between two real Lifeline servers and two simulated vCenters:
// three VMs of the production site A replicated to B, and plans of them run at B with per-VM
// options (the point, power-on, the wait for VMware Tools, a hook set of B's lifeline.json,
// mapping overrides). A drill powers the VMs on group after group on B's isolated port group while
// a replication from A runs and completes, leaves A's VMs untouched, and its clean-up leaves B as
// before; faults injected at B on CreateVM_Task and PowerOnVM_Task fail exactly that step in the
// report with nothing of it left; a cancel starts no new step and keeps what is up. The
// `lifeline plan` commands run a drill and its clean-up through the running server's API as a
// vCenter user, and are refused for a user without the privilege. B's server killed with SIGKILL
// while vCenter creates a step's VM finishes or rolls back each step when it starts again, and
// B's inventory agrees with the report.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { connectVcenter, parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { sha256File } from '../store/store-fixtures.js';
import { startTwoSites, type SiteSide, type TwoSites } from '../sites/two-site-fixture.js';
import { httpsCall, type HttpsReply } from '../server/https-client.js';
import { startServeProcess, type ServeProcess } from '../server/serve-process.js';
import { datastoreFiles, protectAndReplicate, replicationsSucceeded, vmNames, waitJob, type Failover, type JobBody, type ReplicatedVm } from './dr-spec-kit.js';

const SLOW = 600_000;
const LIFELINE_BIN = fileURLToPath(new URL('../../../bin/lifeline.js', import.meta.url));
const READER = { username: 'reader@vsphere.local', password: 'Reader-1!', privileges: ['System.View', 'System.Read'] };

/** Runs `lifeline <args>` as an operator's shell would, with the password in the environment. */
function lifeline(args: string[], password: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIFELINE_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [LIFELINE_BIN, ...args], { env: { ...env, LIFELINE_VC_PASSWORD: password }, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
const never = new AbortController().signal;

/**
 * Records its LIFELINE_* variables in <dir>/<VM name>.env, then, when <dir>/hold exists, waits
 * until <dir>/go does: the spec holds a plan's first step at its hook while A replicates.
 */
const HOOK_SCRIPT = `#!/bin/sh
env | grep '^LIFELINE_' | sort > "$1/$LIFELINE_VM_NAME.env"
if [ -e "$1/hold" ]; then
  while [ ! -e "$1/go" ]; do sleep 0.1; done
fi
echo "started $LIFELINE_VM_NAME"
`;
const FAIL_SCRIPT = `#!/bin/sh
echo "the application did not answer" >&2
exit 4
`;

interface PlanView {
  id: string;
  vmOptions?: Record<string, Record<string, unknown>>;
  runs: { id: string; mode: string; jobId: string; failovers: Failover[][] }[];
}

describe('recovery plans at the DR site', () => {
  let sites: TwoSites;
  let hooksDir: string;
  let sourceId: string;
  const vmIds: string[] = [];
  const names: string[] = [];
  const firstPoint: string[] = [];
  const diskSha: string[] = [];

  beforeAll(async () => {
    hooksDir = await mkdtemp(join(tmpdir(), 'lifeline-plan-hooks-'));
    await writeFile(join(hooksDir, 'started.sh'), HOOK_SCRIPT);
    await writeFile(join(hooksDir, 'fail.sh'), FAIL_SCRIPT);
    await chmod(join(hooksDir, 'started.sh'), 0o755);
    await chmod(join(hooksDir, 'fail.sh'), 0o755);
    sites = await startTwoSites({
      stores: true,
      paired: true,
      vms: 3,
      users: [READER],
      portgroups: { 'site-b': ['DR Test Network'] },
      // A second datastore at B, for a VM's datastore override.
      sim: { 'site-b': { datastores: 2 } },
      files: {
        'site-b': {
          hookSets: {
            started: { pre: [], post: [{ command: join(hooksDir, 'started.sh'), args: [hooksDir], timeoutSeconds: 120 }] },
            broken: { pre: [], post: [{ command: join(hooksDir, 'fail.sh'), args: [], timeoutSeconds: 60 }] },
          },
        },
      },
      prepare: async (name, vc) => {
        if (name === 'site-a') for (const [i, vm] of vc.vms.entries()) await fillDisk(vm.disks[0]!.path, 4 * 1024 * 1024, 21 + i);
      },
    });
    const { a, b } = sites;
    await protectAndReplicate(a, { vms: 3, keepLast: 3 });
    sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const vms = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items;
    for (const i of [0, 1, 2]) {
      const v = vms.find((x) => x.vm.id.endsWith(`:${a.moref(i)}`))!;
      vmIds.push(v.vm.id);
      names.push(v.vm.name);
      firstPoint.push(v.latestPoint!.id);
      diskSha.push(await sha256File(a.vc.vms[i]!.disks[0]!.path));
    }
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' }, testNetworks: { 'VM Network': 'DR Test Network' } });
    if (put.status !== 200) throw new Error(`mappings refused: ${put.text}`);
  }, SLOW);

  // A delay or fault one spec injected and did not use up does not reach the next.
  beforeEach(async () => {
    await sites.b.vc.clearFaults();
  });

  afterAll(async () => {
    await sites?.stop();
    if (hooksDir) await rm(hooksDir, { recursive: true, force: true });
  }, SLOW);

  async function diskFileAtB(moref: string): Promise<string> {
    const { b } = sites;
    const vm = await (await b.backup.vcenter(b.vc.instanceUuid, never)).getVm(moref, never);
    const { datastore, path } = parseDatastorePath(vm.disks[0]!.fileName);
    return join(b.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk'));
  }

  const createPlan = async (body: Record<string, unknown>): Promise<string> => {
    const { b } = sites;
    const r = await b.call(b.admin, 'POST', '/recovery-plans', { siteId: sourceId, toolsTimeoutSeconds: 0, ...body });
    expect(r.status).withContext(r.text).toBe(201);
    return r.json<{ id: string }>().id;
  };

  const lastRun = async (planId: string) => (await sites.b.call(sites.b.admin, 'GET', `/recovery-plans/${planId}`)).json<PlanView>().runs[0]!;

  async function cleanUp(planId: string): Promise<void> {
    const { b } = sites;
    const cleanup = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/cleanup`);
    expect(cleanup.status).withContext(cleanup.text).toBe(202);
    const job = await waitJob(b, cleanup.json<{ job: JobBody }>().job.id);
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
  }

  it('runs a drill and its clean-up from the command line through the server as a vCenter user, and refuses a user without the privilege', async () => {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    await createPlan({ name: 'CLI plan', groups: [{ vms: [vmIds[1]] }, { vms: [vmIds[2]] }] });
    const conn = ['--server', b.server.url, '--server-thumbprint', b.server.thumbprint, '--vcenter', b.vc.url, '--vcenter-thumbprint', b.vc.thumbprint];
    const admin = [...conn, '--user', b.vc.username];

    const listed = await lifeline(['plan', 'list', ...admin], b.vc.password);
    expect(listed.code).withContext(listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^CLI plan {2}id \S+ {2}2 group\(s\), 2 VM\(s\) {2}last run: none$/m);

    // A user who may read but not restore is refused by the server, and the command says so.
    const refused = await lifeline(['plan', 'test', 'CLI plan', ...conn, '--user', READER.username], READER.password);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/POST \/recovery-plans\/\S+\/run answered 403/);
    expect(await vmNames(b)).toEqual(vmsBefore);
    // A wrong password never reaches the server.
    const badLogin = await lifeline(['plan', 'list', ...admin], 'wrong password');
    expect(badLogin.code).toBe(1);
    expect(badLogin.stderr).not.toContain('wrong password');
    // A failover for real and a failback need --yes (failback.spec runs one).
    const unconfirmed = await lifeline(['plan', 'failover', 'CLI plan', ...admin], b.vc.password);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');
    const failback = await lifeline(['plan', 'failback', 'CLI plan', ...admin], b.vc.password);
    expect(failback.code).toBe(1);
    expect(failback.stderr).toContain('--yes');

    const drill = await lifeline(['plan', 'test', 'CLI plan', ...admin], b.vc.password);
    expect(drill.code).withContext(drill.stderr + drill.stdout).toBe(0);
    expect(drill.stdout).toContain('group 1:');
    expect(drill.stdout).toMatch(new RegExp(`^ {2}${names[1]}-dr-test {2}up {2}point ${firstPoint[1]!} .* vm vm-\\d+ {2}tools skipped {2}hook - `, 'm'));
    expect(drill.stdout).toMatch(/^job \S+ succeeded$/m);
    expect((await vmNames(b)).filter((v) => !vmsBefore.includes(v))).toEqual([`${names[1]}-dr-test poweredOn`, `${names[2]}-dr-test poweredOn`].sort());

    const cleaned = await lifeline(['plan', 'cleanup', 'CLI plan', ...admin, '--json'], b.vc.password);
    expect(cleaned.code).withContext(cleaned.stderr).toBe(0);
    const out = JSON.parse(cleaned.stdout) as { job: JobBody; run: { failovers: Failover[][] } };
    expect(out.job.state).toBe('succeeded');
    expect(out.run.failovers.flat().map((f) => f.state)).toEqual(['cleaned', 'cleaned']);
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);

    // A plan that fails exits non-zero: a fault on the first CreateVM_Task fails its step.
    await b.vc.injectFault({ method: 'CreateVM_Task', fault: 'InvalidState', count: 1 });
    const faulted = await lifeline(['plan', 'test', 'CLI plan', ...admin], b.vc.password);
    expect(faulted.code).toBe(1);
    expect(faulted.stdout).toMatch(/^ {4}! create: .*InvalidState/m);
    expect(faulted.stdout).toMatch(/^job \S+ failed: .*\[dr-plan-step-failed\]$/m);
    expect((await lifeline(['plan', 'cleanup', 'CLI plan', ...admin], b.vc.password)).code).toBe(0);
    expect(await vmNames(b)).toEqual(vmsBefore);
  }, SLOW);

  it("killed with SIGKILL while vCenter creates a step's VM, the DR site settles every step at its next start and its inventory agrees with the report", async () => {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const planId = await createPlan({ name: 'Killed', groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }, { vms: [vmIds[2]] }] });
    // B's server moves to a process of its own, which the spec can kill outright.
    await b.release();
    let proc: ServeProcess | undefined;
    try {
      proc = await startServeProcess(b.dataDir, b.serveEnv);
      const at = (p: ServeProcess) => (method: string, path: string, body?: unknown): Promise<HttpsReply> =>
        httpsCall(`${p.url}/api/v1${path}`, { method, thumbprint: p.thumbprint, headers: { 'vmware-api-session-id': b.admin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      let call = at(proc);
      // The second step's CreateVM_Task runs long in vCenter: the server dies while it is under way.
      await b.vc.injectDelay('CreateVM_Task', 8000, 2);
      const started = await call('POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
      expect(started.status).withContext(started.text).toBe(202);
      const jobId = started.json<{ job: JobBody }>().job.id;
      for (let i = 0; ; i++) {
        const job = (await call('GET', `/jobs/${jobId}`)).json<{ phase: string | null; log: { tail: { message: string }[] } }>();
        if (job.phase === 'group-2' && job.log.tail.some((l) => l.message === `${names[1]}-dr-test: create`)) break;
        if (i > 900) throw new Error('the plan never reached the second VM\'s CreateVM_Task');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      proc.child.kill('SIGKILL');
      await new Promise((r) => proc!.child.once('exit', r));
      proc = await startServeProcess(b.dataDir, b.serveEnv);
      call = at(proc);
      let failovers: Failover[] = [];
      for (let i = 0; ; i++) {
        const plan = (await call('GET', `/recovery-plans/${planId}`)).json<PlanView>();
        failovers = plan.runs[0]!.failovers.flat();
        if (failovers.every((f) => f.state !== 'starting')) break;
        if (i > 600) throw new Error(`steps still starting: ${JSON.stringify(failovers.map((f) => f.state))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await call('GET', `/jobs/${jobId}`)).json<JobBody>().state).toBe('interrupted');
      const [f0, f1, f2] = failovers as [Failover, Failover, Failover];
      expect([f0.state, f1.state, f2.state]).toEqual(['up', 'failed', 'failed']);
      expect(f1.vm).toBeNull();
      expect(f1.report.failures).toEqual(['interrupted: the server stopped; what the failover had made was removed']);
      expect(f2.report.failures).toEqual(['interrupted: the server stopped; what the failover had made was removed']);
      // Once vCenter's CreateVM_Task has ended, B holds exactly what the report says: the first step's VM, nothing of the others.
      await new Promise((r) => setTimeout(r, 8000));
      const vc = await connectAdmin(b);
      try {
        const inv = await vc.inventory(never);
        const made = inv.vms.filter((v) => !vmsBefore.includes(`${v.name} ${v.powerState}`));
        expect(made.map((v) => `${v.moref} ${v.name} ${v.powerState}`)).toEqual([`${f0.vm!.moref} ${names[0]}-dr-test poweredOn`]);
      } finally {
        vc.close();
      }
      expect((await datastoreFiles(b)).filter((f) => f.includes(`${names[1]}-dr-test`) || f.includes(`${names[2]}-dr-test`))).toEqual([]);
    } finally {
      await proc?.stop();
      await b.restart();
    }
    await cleanUp(planId);
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);

  it('refuses per-VM options that name what the DR site does not have, naming the field', async () => {
    const { b } = sites;
    const groups = [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }];
    const refused = async (vmOptions: unknown, field: string, text: string): Promise<void> => {
      const r = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Refused', siteId: sourceId, groups, vmOptions });
      expect(r.status).withContext(`${field}: ${r.text}`).toBe(400);
      expect(r.text).withContext(field).toContain(field);
      expect(r.text).withContext(field).toContain(text);
    };
    await refused({ [vmIds[2]!]: { powerOn: false } }, `vmOptions.${vmIds[2]!}`, 'not in the plan');
    await refused({ [vmIds[0]!]: { point: firstPoint[1] } }, `vmOptions.${vmIds[0]!}.point`, firstPoint[1]!);
    await refused({ [vmIds[0]!]: { hookSet: 'nosuchset' } }, `vmOptions.${vmIds[0]!}.hookSet`, 'nosuchset');
    await refused({ [vmIds[0]!]: { networks: { 'VM Network': 'No Such Network' } } }, `vmOptions.${vmIds[0]!}.networks`, 'No Such Network');
    await refused({ [vmIds[0]!]: { networks: { 'Other Net': 'VM Network' } } }, `vmOptions.${vmIds[0]!}.networks`, 'Other Net');
    await refused({ [vmIds[0]!]: { datastore: 'nowhere' } }, `vmOptions.${vmIds[0]!}.datastore`, 'nowhere');
    await refused({ [vmIds[0]!]: { folder: 'group-v999999' } }, `vmOptions.${vmIds[0]!}.folder`, 'group-v999999');
    await refused({ [vmIds[0]!]: { pool: 'resgroup-999999' } }, `vmOptions.${vmIds[0]!}.pool`, 'resgroup-999999');
    await refused({ [vmIds[0]!]: { powerOn: 'yes' } }, `vmOptions.${vmIds[0]!}.powerOn`, 'true or false');
    await refused({ [vmIds[0]!]: { keepMacs: true } }, `vmOptions.${vmIds[0]!}.keepMacs`, 'not a per-VM option');
    expect((await b.call(b.admin, 'GET', '/recovery-plans')).json<{ items: { name: string }[] }>().items.map((p) => p.name)).not.toContain('Refused');
  });

  it("drills a 3-VM plan group after group with each VM's options while A replicates, leaving A untouched, and cleans up to exactly as before", async () => {
    const { a, b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const aVmsBefore = await vmNames(a);
    const planId = await createPlan({
      name: 'Three tiers',
      groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }, { vms: [vmIds[2]] }],
      vmOptions: {
        [vmIds[0]!]: { point: firstPoint[0], hookSet: 'started' },
        [vmIds[1]!]: { powerOn: false, datastore: 'LocalDS_1' },
        [vmIds[2]!]: { toolsTimeoutSeconds: 1, hookSet: 'broken' },
      },
    });
    expect((await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<PlanView>().vmOptions?.[vmIds[1]!]).toEqual({ powerOn: false, datastore: 'LocalDS_1' });

    // The first step waits at its hook until A has made and replicated a new point of that VM.
    await writeFile(join(hooksDir, 'hold'), '');
    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    expect(started.status).withContext(started.text).toBe(202);
    const jobId = started.json<{ job: JobBody }>().job.id;
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<{ phase: string | null }>().phase !== 'group-1' || !(await exists(join(hooksDir, `${names[0]}-dr-test.env`))); i++) {
      if (i > 900) throw new Error('the first step never reached its hook');
      await new Promise((r) => setTimeout(r, 200));
    }
    await fillDisk(a.vc.vms[0]!.disks[0]!.path, 4 * 1024 * 1024, 99);
    const newSha = await sha256File(a.vc.vms[0]!.disks[0]!.path);
    expect((await a.call(a.admin, 'POST', `/vms/${encodeURIComponent(a.urn(0))}/backup`)).status).toBe(202);
    let planStates: string[] = [];
    await replicationsSucceeded(a, 4, async () => {
      planStates.push((await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<JobBody>().state);
    });
    // The replication ended while the drill was under way.
    planStates = [...new Set([...planStates, (await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<JobBody>().state])];
    expect(planStates).toEqual(['running']);
    await writeFile(join(hooksDir, 'go'), '');
    const job = await waitJob(b, jobId);
    // The third VM's hook set failed: the VM is up, and the job says which step did not do all it was asked.
    expect(job.state).toBe('failed');
    expect(job.error?.message).toContain(`${names[2]}-dr-test: hook set broken failed`);
    expect(job.error?.message).toContain('1 of 3');

    const run = await lastRun(planId);
    expect(run.mode).toBe('test');
    const [[f0], [f1], [f2]] = run.failovers as [[Failover], [Failover], [Failover]];
    expect([f0.state, f1.state, f2.state]).toEqual(['up', 'up', 'up']);
    // Group order: each group started once the one before was done.
    expect(Date.parse(f1.report.startedAt!)).toBeGreaterThanOrEqual(Date.parse(f0.report.poweredOnAt!));
    expect(Date.parse(f2.report.startedAt!)).toBeGreaterThanOrEqual(Date.parse(f1.report.createdAt!));
    // The point each step used: the first VM's older point, as asked, not the one replicated during the drill.
    expect(f0.pointId).toBe(firstPoint[0]!);
    const now = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: ReplicatedVm[] }>().items.find((v) => v.vm.id === vmIds[0])!;
    expect(now.points).toBe(2);
    expect(now.latestPoint!.id).not.toBe(firstPoint[0]!);
    expect(f2.pointId).toBe(firstPoint[2]!);
    // Hooks and the wait for Tools, per step.
    expect(f0.report.hook).toEqual({ set: 'started', ok: true, messages: [jasmine.stringMatching(/started\.sh succeeded/)] });
    expect(f0.report.toolsWait).toBe('skipped');
    expect(f1.report.hook).toBeNull();
    expect(f1.report.toolsWait).toBe('skipped');
    expect(f1.report.poweredOnAt).toBeNull();
    expect(f2.report.toolsWait).toBe('timed-out');
    expect(f2.report.hook?.ok).toBeFalse();
    expect(f2.report.failures).toEqual([
      'wait-for-tools: VMware Tools did not report running within 1 s; the VM is up',
      jasmine.stringMatching(/^hook: hook set broken failed: .*fail\.sh exited with code 4: the application did not answer; the VM is up$/),
    ]);
    const env = await readFile(join(hooksDir, `${names[0]}-dr-test.env`), 'utf8');
    expect(env).toContain('LIFELINE_HOOK=post-failover');
    expect(env).toContain(`LIFELINE_VM=${f0.vm!.moref}`);
    expect(env).toContain('LIFELINE_FAILOVER_MODE=test');
    expect(env).toContain(`LIFELINE_POINT_ID=${firstPoint[0]!}`);

    const vc = await b.backup.vcenter(b.vc.instanceUuid, never);
    const power: string[] = [];
    for (const [i, f] of [f0, f1, f2].entries()) {
      const made = await vc.getVm(f.vm!.moref, never);
      power.push(made.powerState);
      expect(made.nics.map((n) => n.network.name)).withContext(f.name).toEqual(['DR Test Network']);
      expect(await sha256File(await diskFileAtB(f.vm!.moref))).withContext(f.name).toBe(diskSha[i]!);
    }
    expect(power).toEqual(['poweredOn', 'poweredOff', 'poweredOn']);
    // The datastore override: the second VM's files are on B's other datastore, the others on the pairing's.
    expect([f0.request.datastore, f1.request.datastore, f2.request.datastore]).toEqual(['LocalDS_0', 'LocalDS_1', 'LocalDS_0']);
    expect((await vc.getVm(f1.vm!.moref, never)).disks[0]!.fileName).toMatch(/^\[LocalDS_1\] /);
    expect(newSha).not.toBe(diskSha[0]!);
    // A's VMs are as they were (the new point's write aside, which is guest data).
    expect(await vmNames(a)).toEqual(aVmsBefore);

    await cleanUp(planId);
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    await rm(join(hooksDir, 'hold'));
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);

  it('fails exactly the step whose CreateVM_Task or PowerOnVM_Task faults, visibly in the report, with nothing of it left', async () => {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const planId = await createPlan({ name: 'Faulted', groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }, { vms: [vmIds[2]] }] });
    // No step reconfigures a VM (each is made whole by one CreateVM_Task): a ReconfigVM_Task fault hits nothing.
    await b.vc.injectFault({ method: 'ReconfigVM_Task', fault: 'InvalidState', count: -1 });
    for (const method of ['CreateVM_Task', 'PowerOnVM_Task']) {
      // The first step's call of the method faults; the other two steps go on.
      await b.vc.injectFault({ method, fault: 'InvalidState', count: 1 });
      const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
      expect(started.status).withContext(started.text).toBe(202);
      const job = await waitJob(b, started.json<{ job: JobBody }>().job.id);
      expect(job.state).withContext(method).toBe('failed');
      expect(job.error?.code).withContext(method).toBe('dr-plan-step-failed');
      expect(job.error?.message).withContext(method).toContain(`1 of 3 VM(s) failed: ${names[0]}-dr-test`);
      expect(job.error?.message).withContext(method).toContain('InvalidState');
      const [[f0], [f1], [f2]] = (await lastRun(planId)).failovers as [[Failover], [Failover], [Failover]];
      expect([f0.state, f1.state, f2.state]).withContext(method).toEqual(['failed', 'up', 'up']);
      expect(f0.vm).toBeNull();
      expect(f0.report.failures).withContext(method).toEqual([jasmine.stringMatching(new RegExp(`^${method === 'CreateVM_Task' ? 'create' : 'power-on'}: .*InvalidState`))]);
      // Only the two steps that succeeded left VMs; nothing of the failed step is in B's inventory or datastores.
      expect((await vmNames(b)).filter((v) => !vmsBefore.includes(v))).withContext(method).toEqual([`${names[1]}-dr-test poweredOn`, `${names[2]}-dr-test poweredOn`].sort());
      expect((await datastoreFiles(b)).filter((f) => f.includes(`${names[0]}-dr-test`))).withContext(method).toEqual([]);
      await cleanUp(planId);
      expect(await vmNames(b)).withContext(method).toEqual(vmsBefore);
      expect(await datastoreFiles(b)).withContext(method).toEqual(filesBefore);
    }
    await b.vc.clearFaults();
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);

  it('cancelled in its second group, a plan starts no new step, keeps the VM that is up and leaves nothing of the step under way', async () => {
    const { b } = sites;
    const filesBefore = await datastoreFiles(b);
    const vmsBefore = await vmNames(b);
    const planId = await createPlan({ name: 'Cancelled', groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }, { vms: [vmIds[2]] }] });
    await b.vc.injectDelay('CreateVM_Task', 2500, 2);
    const started = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'test' });
    expect(started.status).withContext(started.text).toBe(202);
    const jobId = started.json<{ job: JobBody }>().job.id;
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<{ phase: string | null }>().phase !== 'group-2'; i++) {
      if (i > 600) throw new Error('the plan never reached its second group');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([200, 202]).toContain((await b.call(b.admin, 'POST', `/jobs/${jobId}/cancel`)).status);
    expect((await waitJob(b, jobId)).state).toBe('cancelled');
    // A CreateVM_Task still under way in the simulator ends first.
    await new Promise((r) => setTimeout(r, 2500));
    const [[f0], [f1], [f2]] = (await lastRun(planId)).failovers as [[Failover], [Failover], [Failover]];
    expect([f0.state, f1.state, f2.state]).toEqual(['up', 'failed', 'failed']);
    expect(f1.vm).toBeNull();
    expect(f2.report.failures).toEqual(['not started: the plan run was cancelled']);
    expect((await vmNames(b)).filter((v) => !vmsBefore.includes(v))).toEqual([`${names[0]}-dr-test poweredOn`]);
    expect((await datastoreFiles(b)).filter((f) => f.includes(`${names[1]}-dr-test`) || f.includes(`${names[2]}-dr-test`))).toEqual([]);
    await cleanUp(planId);
    expect(await vmNames(b)).toEqual(vmsBefore);
    expect(await datastoreFiles(b)).toEqual(filesBefore);
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${planId}`)).status).toBe(204);
  }, SLOW);
});

/** The simulator's administrator on a connection of its own (B's server may be another process). */
function connectAdmin(side: SiteSide) {
  return connectVcenter({ url: side.vc.url, thumbprint: side.vc.thumbprint, user: side.vc.username, password: side.vc.password, keepAliveMs: 0 }, never);
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

