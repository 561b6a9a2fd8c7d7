// Planned migration between two real Lifeline servers and two simulated vCenters: run at the DR
// site B with the production site A reachable, B asks A over the site link (mutual TLS) to shut
// the VM down through VMware Tools, back it up a last time and replicate that point, then recovers
// exactly that point; B asks only for a user with Lifeline's Restore privilege. Data written through the harness into A's VM disk just before is in the
// disk at B byte for byte; A's VM is left powered off and marked failed over (its backups held);
// A refuses a request from a site that is not the VM's DR site; a failing last backup at A starts
// nothing at B and names A's VM state; with A's server stopped the request is refused with a
// message that points to disaster mode.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseDatastorePath } from '../../plugin-server/src/vsphere/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { sha256File } from '../store/store-fixtures.js';
import { siteCall, startTwoSites, strangerIdentity, type SiteSide, type TwoSites } from '../sites/two-site-fixture.js';
import { protectAndReplicate, vmNames, waitJob as waitJobFor, type Failover, type JobBody } from './dr-spec-kit.js';

/** A planned migration waits for A's shutdown, backup and replication: up to 4 minutes. */
const waitJob = (side: SiteSide, id: string): Promise<JobBody> => waitJobFor(side, id, 240);

const SLOW = 600_000;
/** A user with vCenter's default read privileges and no Lifeline privilege. */
const VIEWER = { username: 'viewer@vsphere.local', password: 'Viewer-1!' };
const never = new AbortController().signal;

async function powerState(side: SiteSide, moref: string): Promise<string> {
  return (await (await side.backup.vcenter(side.vc.instanceUuid, never)).getVm(moref, never)).powerState;
}

describe('planned migration to the DR site', () => {
  let sites: TwoSites;
  let sourceId: string;
  const vmIds: string[] = [];
  const latest: string[] = [];

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      users: [VIEWER],
      prepare: async (name, vc) => {
        if (name === 'site-a') {
          await fillDisk(vc.vms[0]!.disks[0]!.path, 12 * 1024 * 1024, 21);
          await fillDisk(vc.vms[1]!.disks[0]!.path, 6 * 1024 * 1024, 22);
        }
      },
    });
    const { a, b } = sites;
    await protectAndReplicate(a, { vms: 2, keepLast: 5 });
    sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    const vms = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: { vm: { id: string; name: string }; latestPoint: { id: string } }[] }>().items;
    for (const i of [0, 1]) {
      const v = vms.find((x) => x.vm.id.endsWith(`:${a.moref(i)}`))!;
      vmIds.push(v.vm.id);
      latest.push(v.latestPoint.id);
    }
    const put = await b.call(b.admin, 'PUT', `/sites/${sourceId}/mappings`, { networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' } });
    if (put.status !== 200) throw new Error(`mappings refused: ${put.text}`);
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  const migrate = (i: number, body: Record<string, unknown>) => sites.b.call(sites.b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[i]!)}/failover`, { mode: 'planned', toolsTimeoutSeconds: 0, ...body });

  // One flow, in order: stopping A's server at the end cannot come before the rest.
  it("refuses other sites at A, starts nothing at B when A's last backup fails, brings the writes made just before to B byte for byte, and points to disaster mode when A is unreachable", async () => {
    const { a, b } = sites;

    // --- A accepts a planned migration only from the DR site the VM replicates to. ---
    const stranger = await strangerIdentity();
    const notPaired = await siteCall(a.server.siteUrl, stranger, 'POST', '/dr/planned-migrations', { vmId: vmIds[0], shutdownTimeoutSeconds: 0 });
    expect(notPaired.status).toBe(403);
    const notReplicated = await siteCall(a.server.siteUrl, b.identity, 'POST', '/dr/planned-migrations', { vmId: `${a.vc.instanceUuid}:vm-99999`, shutdownTimeoutSeconds: 0 });
    expect(notReplicated.status).toBe(409);
    expect(notReplicated.json<{ code: string }>().code).toBe('dr-planned-refused');
    // A is B's source, not its DR site: B refuses A's request for a VM of its own.
    const wrongWay = await siteCall(b.server.siteUrl, a.identity, 'POST', '/dr/planned-migrations', { vmId: `${b.vc.instanceUuid}:${b.moref(0)}`, shutdownTimeoutSeconds: 0 });
    expect(wrongWay.status).toBe(409);
    expect(wrongWay.json<{ code: string }>().code).toBe('dr-planned-refused');
    // Without Lifeline's Restore privilege at B the request is refused there, and A is never asked.
    const viewer = await b.login(VIEWER.username, VIEWER.password);
    const denied = await b.call(viewer, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[0]!)}/failover`, { mode: 'planned', name: 'not-allowed' });
    expect(denied.status).toBe(403);
    expect(await powerState(a, a.moref(0))).toBe('poweredOn');
    expect((await a.call(a.admin, 'GET', '/jobs?kind=planned-migration')).json<{ items: unknown[] }>().items).toEqual([]);

    // --- A's last backup fails: nothing is started at B, and A's VM state is stated. ---
    const bVmsBefore = await vmNames(b);
    // VMware Tools does not run in this guest (the simulator answers ShutdownGuest with ToolsUnavailable): A powers the VM off instead.
    await a.vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', count: 1 });
    const failing = await migrate(1, { name: 'migrated-vm1', shutdownTimeoutSeconds: 30 });
    expect(failing.status).withContext(failing.text).toBe(202);
    const failed = await waitJob(b, failing.json<{ job: JobBody }>().job.id);
    await a.vc.clearFaults();
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('dr-planned-source-failed');
    expect(failed.error?.message).toContain('dr-planned-backup-failed');
    expect(failed.error?.message).toContain('InvalidState');
    expect(failed.error?.message).toContain('the VM is poweredOff at this site');
    expect(failed.error?.message).toContain('Nothing was started at this site');
    const failedRec = (await b.call(b.admin, 'GET', `/failovers/${failing.json<{ failover: Failover }>().failover.id}`)).json<Failover>();
    expect(failedRec.state).toBe('failed');
    expect(failedRec.vm).toBeNull();
    expect(await vmNames(b)).toEqual(bVmsBefore);
    expect((await a.call(a.admin, 'GET', `/vms/${encodeURIComponent(a.urn(1))}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();
    const [sourceJob] = (await a.call(a.admin, 'GET', '/jobs?kind=planned-migration')).json<{ items: JobBody[] }>().items;
    expect(sourceJob!.state).toBe('failed');
    const sourceLog = (await a.call(a.admin, 'GET', `/jobs/${sourceJob!.id}`)).text;
    expect(sourceLog).toContain('ToolsUnavailable');
    expect(sourceLog).toContain('the VM was powered off');

    // --- The planned migration: data written just before it starts is at B byte for byte. ---
    const disk = a.vc.vms[0]!.disks[0]!;
    const written = randomBytes(256 * 1024);
    await a.vc.writeDisk(a.moref(0), disk.key, 3 * 1024 * 1024 + 4096, written);
    const sourceSha = await sha256File(disk.path);
    // VMware Tools runs in this guest: A shuts it down cleanly.
    await a.vc.setGuestTools(a.moref(0), { running: true });
    const started = await migrate(0, { name: 'migrated-vm0', shutdownTimeoutSeconds: 30 });
    expect(started.status).withContext(started.text).toBe(202);
    const accepted = started.json<{ job: JobBody; failover: Failover }>();
    expect(accepted.failover.mode).toBe('planned');
    expect(accepted.failover.dataLossWindowSeconds).toBe(0);
    const done = await waitJob(b, accepted.job.id);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    const rec = (await b.call(b.admin, 'GET', `/failovers/${accepted.failover.id}`)).json<Failover>();
    expect(rec.state).toBe('up');
    // The point A made after the shutdown, not the one B held before.
    expect(rec.pointId).not.toBe(latest[0]!);
    expect(rec.planned!.shutdown).toBe('guest');
    // Only the changed chunks crossed for the last point.
    expect(rec.planned!.chunksSent).toBeGreaterThan(0);
    expect(rec.planned!.chunksSent).toBeLessThan(rec.planned!.chunks!);
    const vmAtB = await (await b.backup.vcenter(b.vc.instanceUuid, never)).getVm(rec.vm!.moref, never);
    const { datastore, path } = parseDatastorePath(vmAtB.disks[0]!.fileName);
    const fileAtB = join(b.vc.datastores.find((d) => d.name === datastore)!.dir, path.replace(/\.vmdk$/, '-flat.vmdk'));
    expect(await sha256File(fileAtB)).toBe(sourceSha);
    expect(vmAtB.powerState).toBe('poweredOn');

    // A's VM is powered off and marked failed over to B; A holds its backups.
    expect(await powerState(a, a.moref(0))).toBe('poweredOff');
    const vm0 = encodeURIComponent(a.urn(0));
    const mark = (await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: { site: { name: string }; pointId: string } | null }>().failedOver;
    expect(mark?.site.name).toBe('site-b');
    expect(mark!.pointId).toBe(rec.pointId);
    const held = await a.call(a.admin, 'POST', `/vms/${vm0}/backup`);
    expect(held.status).toBe(409);
    expect(held.json<{ code: string; detail: string }>().code).toBe('vm-paused');
    expect(held.text).toContain('failed over to site site-b');
    // A second planned migration of the VM is refused by A.
    const again = await migrate(0, { name: 'migrated-again' });
    expect(again.status).toBe(409);
    expect(again.json<{ code: string }>().code).toBe('dr-planned-refused');
    // A audited what B asked.
    const audit = (await a.call(a.admin, 'GET', '/audit?action=dr.planned-migration-accept')).json<{ items: { outcome: string; object: string | null }[] }>().items;
    expect(audit.filter((x) => x.outcome === 'success').map((x) => x.object)).toContain(`vm:${vmIds[0]}`);
    expect(audit.some((x) => x.outcome === 'failure')).toBeTrue();
    // An administrator at A clears the mark: A protects the VM again.
    expect((await a.call(a.admin, 'DELETE', `/vms/${vm0}/failed-over`)).status).toBe(204);
    expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();

    // --- A unreachable: a clear refusal that points to disaster mode; nothing started at B. ---
    await a.server.stop();
    const before = await vmNames(b);
    const unreachable = await migrate(1, { name: 'migrated-vm1' });
    expect(unreachable.status).toBe(503);
    expect(unreachable.json<{ code: string }>().code).toBe('dr-source-unreachable');
    expect(unreachable.text).toContain('mode disaster');
    expect(await vmNames(b)).toEqual(before);
  }, SLOW);
});
