// A failback cut by a hard stop of the DR site's server (SIGKILL), between two real Lifeline
// servers and two simulated vCenters: a VM of A failed over to B by a planned migration, written
// to at B, protected at B by a policy with a hook set. Killed during the failback's last backup
// (vCenter holds QueryChangedDiskAreas, so the backup's snapshot exists), B rolls the failback back
// at its next start: the snapshot removed, its VM running again, A's VM untouched, the failback
// failed with the reason. Killed while A recovers the point (A's ReconfigVM_Task held), B follows
// A's job to its end at its next start: the failback is done, A's disk is B's byte for byte and
// B's VM stays off. That failback's last backup, the guest shut down through VMware Tools, ran the
// policy's hook set around its snapshot and is application-consistent; the one whose guest had no
// Tools (powered off) degraded to crash-consistent, as the policy allows, and under a policy that
// will not take a crash-consistent point the failback fails with B's VM running again.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVcenter, parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { sha256File } from '../store/store-fixtures.js';
import { httpsCall, type HttpsReply } from '../server/https-client.js';
import { startServeProcess, type ServeProcess } from '../server/serve-process.js';
import type { SiteSide, TwoSites } from '../sites/two-site-fixture.js';
import { startFailbackSites, waitJob, type Failover, type JobBody } from './dr-spec-kit.js';

const MiB = 1024 * 1024;
const SLOW = 600_000;
const never = new AbortController().signal;
/** Each hook writes its LIFELINE_* variables to `<dir>/<job id>.<hook>.env`. */
const HOOK_SCRIPT = `#!/bin/sh
env | grep '^LIFELINE_' | sort > "$1/$LIFELINE_JOB_ID.$LIFELINE_HOOK.env"
`;

interface FailbackView {
  state: string;
  step?: string | null;
  wasOn?: boolean | null;
  consistency?: string | null;
  jobId: string | null;
  pointId: string | null;
  sourceJobId: string | null;
  sourceVm: { moref: string; name: string } | null;
  failures: string[];
}
type FailoverView = Failover & { failback?: FailbackView | null };
interface JobView extends JobBody {
  log: { tail: { message: string }[] };
}

function connectAdmin(side: SiteSide) {
  return connectVcenter({ url: side.vc.url, thumbprint: side.vc.thumbprint, user: side.vc.username, password: side.vc.password, keepAliveMs: 0 }, never);
}

async function vmInfo(side: SiteSide, moref: string) {
  const vc = await connectAdmin(side);
  try {
    const vm = await vc.getVm(moref, never);
    const snapshots = (await vc.snapshotTree(moref, never)).roots.map((s) => s.name);
    return { powerState: vm.powerState, disk: vm.disks[0]!.fileName, diskKey: vm.disks[0]!.key, snapshots };
  } finally {
    vc.close();
  }
}

/** The flat file of a VM's first disk in the side's simulator. */
async function diskFile(side: SiteSide, moref: string): Promise<string> {
  const { datastore, path } = parseDatastorePath((await vmInfo(side, moref)).disk);
  return join(side.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk'));
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < seconds * 10; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

describe('a failback cut by a restart of the DR site', () => {
  let sites: TwoSites;
  let hooksDir: string;
  let sourceId: string;
  let vmId: string;

  beforeAll(async () => {
    hooksDir = await mkdtemp(join(tmpdir(), 'lifeline-failback-hooks-'));
    await writeFile(join(hooksDir, 'hook.sh'), HOOK_SCRIPT);
    await chmod(join(hooksDir, 'hook.sh'), 0o755);
    const hook = { command: join(hooksDir, 'hook.sh'), args: [hooksDir], timeoutSeconds: 60 };
    const started = await startFailbackSites({ vms: 1, fillMiB: 6, seed: 41, files: { 'site-b': { hookSets: { app: { pre: [hook], post: [hook] } } } } });
    ({ sites, sourceId } = started);
    vmId = started.vmIds[0]!;
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
    if (hooksDir) await rm(hooksDir, { recursive: true, force: true });
  }, SLOW);

  it('rolls back a failback killed before the source site was asked, and follows one killed while the source site recovers to its end; the last backup runs the policy\'s hook set and is application-consistent when the guest shut down through VMware Tools', async () => {
    const { a, b } = sites;
    const vm0 = encodeURIComponent(a.urn(0));

    // --- A planned migration to B, a write at B, and B's policy (its hook set) for the VM. ---
    const started = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, { mode: 'planned', name: 'restart-vm', toolsTimeoutSeconds: 0, shutdownTimeoutSeconds: 30 });
    expect(started.status).withContext(started.text).toBe(202);
    const accepted = started.json<{ job: JobBody; failover: Failover }>();
    expect((await waitJob(b, accepted.job.id, 240)).state).toBe('succeeded');
    const failoverId = accepted.failover.id;
    const atB = (await b.call(b.admin, 'GET', `/failovers/${failoverId}`)).json<FailoverView>().vm!.moref;
    await b.vc.writeDisk(atB, (await vmInfo(b, atB)).diskKey, 3 * MiB + 512, randomBytes(64 * 1024));
    const policy = await b.call(b.admin, 'POST', '/policies', { name: 'Failed over', rpoSeconds: 3600, retention: { keepLast: 3 }, hookSet: 'app', consistency: 'application', onQuiesceFailure: 'crash-consistent' });
    expect(policy.status).withContext(policy.text).toBe(201);
    const policyId = policy.json<{ id: string }>().id;
    const urnAtB = encodeURIComponent(`urn:vmomi:VirtualMachine:${atB}:${b.vc.instanceUuid}`);
    expect((await b.call(b.admin, 'PUT', `/vms/${urnAtB}/protection`, { policyId })).status).toBe(201);
    const shaA = await sha256File(await diskFile(a, a.moref(0)));
    const shaB = await sha256File(await diskFile(b, atB));
    expect(shaB).not.toBe(shaA);

    // B's server moves to a process of its own, which the spec kills outright.
    await b.release();
    let proc: ServeProcess | undefined;
    const at = (p: ServeProcess) => (method: string, path: string, body?: unknown): Promise<HttpsReply> =>
      httpsCall(`${p.url}/api/v1${path}`, { method, thumbprint: p.thumbprint, headers: { 'vmware-api-session-id': b.admin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const kill = async (): Promise<void> => {
      proc!.child.kill('SIGKILL');
      await new Promise((r) => proc!.child.once('exit', r));
      proc = undefined;
    };
    try {
      proc = await startServeProcess(b.dataDir, b.serveEnv);
      let call = at(proc);
      const failoverNow = async () => (await call('GET', `/failovers/${failoverId}`)).json<FailoverView>();

      // --- 1. Killed during the last backup: the guest has no VMware Tools, so the VM is powered
      // off; vCenter then holds the backup's QueryChangedDiskAreas, its snapshot taken. ---
      await b.vc.injectDelay('QueryChangedDiskAreas', 20_000, 1);
      const first = await call('POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failback`, { target: 'original', shutdownTimeoutSeconds: 30 });
      expect(first.status).withContext(first.text).toBe(202);
      const firstJob = first.json<{ job: JobBody }>().job.id;
      const log = await until('the backup\'s snapshot', 120, async () => {
        const job = (await call('GET', `/jobs/${firstJob}`)).json<JobView>();
        const lines = job.log.tail.map((l) => l.message);
        return lines.some((m) => /^snapshot lifeline-\S+ \(\S+\) taken/.test(m)) ? lines : undefined;
      });
      // No Tools: powered off, and the policy lets the point be crash-consistent.
      expect(log.join('\n')).toContain('the policy allows a crash-consistent point');
      expect((await failoverNow()).failback!.step).toBe('backup');
      expect(await readFile(join(hooksDir, `${firstJob}.pre-snapshot.env`), 'utf8')).toContain('LIFELINE_CONSISTENCY=crash');
      expect((await vmInfo(b, atB)).snapshots).toEqual([`lifeline-${firstJob}`]);
      expect((await vmInfo(b, atB)).powerState).toBe('poweredOff');
      await kill();

      proc = await startServeProcess(b.dataDir, b.serveEnv);
      call = at(proc);
      const rolledBack = await until('the failback settled', 120, async () => {
        const f = (await failoverNow()).failback!;
        return f.state !== 'running' ? f : undefined;
      });
      expect(rolledBack.state).toBe('failed');
      expect(rolledBack.failures.at(-1)).toContain('rolled back at the next start');
      expect(rolledBack.failures.at(-1)).toContain('snapshot removed');
      expect(rolledBack.failures.at(-1)).toContain('powered on again');
      expect((await call('GET', `/jobs/${firstJob}`)).json<JobBody>().state).toBe('interrupted');
      const settling = await waitJob({ call: (_t, m, p) => call(m, p), admin: b.admin }, rolledBack.jobId!);
      expect(settling.state).toBe('failed');
      expect(settling.error?.code).toBe('dr-failback-interrupted');
      // B's VM runs again with no snapshot left; A's VM was not touched and is still failed over.
      const afterRollBack = await vmInfo(b, atB);
      expect(afterRollBack.powerState).toBe('poweredOn');
      expect(afterRollBack.snapshots).toEqual([]);
      expect(await sha256File(await diskFile(a, a.moref(0)))).toBe(shaA);
      expect((await vmInfo(a, a.moref(0))).powerState).toBe('poweredOff');
      expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).not.toBeNull();

      // --- A policy that will not take a crash-consistent point: the guest, still without Tools,
      // is powered off, so the failback's backup is refused, the failback fails and B's VM runs again. ---
      expect((await call('PATCH', `/policies/${policyId}`, { onQuiesceFailure: 'fail' })).status).toBe(200);
      const refusedRun = await call('POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failback`, { target: 'original', shutdownTimeoutSeconds: 30 });
      expect(refusedRun.status).withContext(refusedRun.text).toBe(202);
      const refusedJob = await waitJob({ call: (_t, m, p) => call(m, p), admin: b.admin }, refusedRun.json<{ job: JobBody }>().job.id);
      expect(refusedJob.state).toBe('failed');
      expect(refusedJob.error?.code).toBe('backup-quiesce-failed');
      expect(refusedJob.error?.message).toContain('did not shut down through VMware Tools');
      expect(refusedJob.error?.message).toContain('powered on again at this site');
      expect((await failoverNow()).failback!.state).toBe('failed');
      expect(await vmInfo(b, atB)).toEqual(jasmine.objectContaining({ powerState: 'poweredOn', snapshots: [] }));
      expect(await sha256File(await diskFile(a, a.moref(0)))).toBe(shaA);
      expect((await call('PATCH', `/policies/${policyId}`, { onQuiesceFailure: 'crash-consistent' })).status).toBe(200);

      // --- 2. Killed while A recovers the point: the guest runs VMware Tools now; A's
      // ReconfigVM_Task (the revert's disk swap) is held while B's server dies. ---
      await b.vc.setGuestTools(atB, { running: true });
      await a.vc.injectDelay('ReconfigVM_Task', 15_000, 1);
      const second = await call('POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failback`, { target: 'original', shutdownTimeoutSeconds: 30 });
      expect(second.status).withContext(second.text).toBe(202);
      const secondJob = second.json<{ job: JobBody }>().job.id;
      const asked = await until('the source site asked', 180, async () => {
        const f = (await failoverNow()).failback!;
        if (f.state !== 'running') throw new Error(`the failback ended before the source site was asked: ${JSON.stringify(f)}`);
        return f.step === 'source-site' && f.sourceJobId !== null ? f : undefined;
      });
      expect(asked.consistency).toBe('application');
      await kill();
      // A's job is under way at A, which B no longer watches.
      proc = await startServeProcess(b.dataDir, b.serveEnv);
      call = at(proc);
      const followed = await until('the failback settled', 180, async () => {
        const f = (await failoverNow()).failback!;
        return f.state !== 'running' ? f : undefined;
      });
      expect(followed.state).withContext(JSON.stringify(followed.failures)).toBe('done');
      expect(followed.sourceJobId).toBe(asked.sourceJobId);
      expect(followed.sourceVm?.moref).toBe(a.moref(0));
      const resumed = await waitJob({ call: (_t, m, p) => call(m, p), admin: b.admin }, followed.jobId!);
      expect(resumed.state).toBe('succeeded');
      expect(resumed.result?.['resumed']).toBe(true);
      // A's VM holds B's disk byte for byte and runs; B's VM stays off with no snapshot (once the
      // backups B's policy now takes of it into B's own repository have ended).
      expect(await sha256File(await diskFile(a, a.moref(0)))).toBe(shaB);
      expect((await vmInfo(a, a.moref(0))).powerState).toBe('poweredOn');
      await until('B\'s backups ended', 120, async () => {
        const jobs = (await call('GET', '/jobs?kind=backup')).json<{ items: JobBody[] }>().items;
        return jobs.every((j) => j.state !== 'queued' && j.state !== 'running') ? true : undefined;
      });
      expect(await vmInfo(b, atB)).toEqual(jasmine.objectContaining({ powerState: 'poweredOff', snapshots: [] }));
      expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();
      // The policy's hook set ran around that backup's snapshot, application-consistent.
      const point = (await a.call(a.admin, 'GET', `/vms/${vm0}/points`)).json<{ items: { id: string; consistency: string }[] }>().items.find((p) => p.id === followed.pointId);
      expect(point?.consistency).toBe('application');
      for (const hook of ['pre-snapshot', 'post-snapshot']) {
        const env = await readFile(join(hooksDir, `${secondJob}.${hook}.env`), 'utf8');
        expect(env).toContain(`LIFELINE_HOOK=${hook}`);
        expect(env).toContain('LIFELINE_CONSISTENCY=application');
        expect(env).toContain(`LIFELINE_VM=${atB}`);
      }
    } finally {
      if (proc) await proc.stop();
      await b.restart();
    }
  }, SLOW);
});
