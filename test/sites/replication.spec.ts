// Replication between two real Lifeline servers, as an administrator sets it up: two simulated
// vCenters, two servers with their own stores, paired over mutual TLS through both APIs. A policy at
// the production site A names the DR site B; a backup of a VM at A is followed by a `replication`
// job that copies the new restore point to B over the site listeners, and A's RPO compliance counts
// B's copy until A unpairs B. Then A is gone for good —
// its server stopped, its data directory and store deleted — and B restores the point byte for
// byte from its replica, with its own passphrase.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Repository } from '../../plugin-server/src/store/index.js';
import { replicaFolder } from '../../plugin-server/src/replication/index.js';
import { fillDisk } from '../demo/demo-seed.js';
import { restoredSha, sha256File, tempDir } from '../store/store-fixtures.js';
import { sitePassphrase, startTwoSites, type TwoSites } from './two-site-fixture.js';

const SLOW = 600_000;
const never = new AbortController().signal;

interface JobBody {
  id: string;
  kind: string;
  state: string;
  error: { code: string; message: string } | null;
  result: Record<string, unknown> | null;
}

describe('replication between two paired Lifeline servers', () => {
  let sites: TwoSites;

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      prepare: async (name, vc) => {
        if (name === 'site-a') await fillDisk(vc.vms[0]!.disks[0]!.path, 12 * 1024 * 1024, 7);
      },
    });
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  async function jobsOf(kind: string, state: string): Promise<JobBody[]> {
    const { a } = sites;
    return (await a.call(a.admin, 'GET', `/jobs?kind=${kind}&state=${state}`)).json<{ items: JobBody[] }>().items;
  }

  async function waitForJob(kind: string): Promise<JobBody> {
    for (let i = 0; i < 600; i++) {
      const failed = await jobsOf(kind, 'failed');
      if (failed.length > 0) throw new Error(`a ${kind} job failed: ${JSON.stringify(failed[0]!.error)}`);
      const done = await jobsOf(kind, 'succeeded');
      if (done.length > 0) return done[0]!;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no ${kind} job succeeded in 120 s`);
  }

  interface ComplianceBody {
    vm: { id: string };
    status: string;
    replication: { siteName: string; state: string; lagSeconds: number | null; rpoMet: boolean } | null;
  }

  async function complianceOf(urn: string): Promise<ComplianceBody> {
    const { a } = sites;
    const items = (await a.call(a.admin, 'GET', '/compliance')).json<{ items: ComplianceBody[] }>().items;
    const item = items.find((c) => c.vm.id === urn);
    if (!item) throw new Error(`GET /compliance at site A does not list ${urn}`);
    return item;
  }

  it(
    'copies a backed-up point to the DR site, which restores it byte for byte once the production site is gone',
    async () => {
      const { a, b } = sites;
      const [peer] = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { id: string; name: string; role: string }[] }>().peers;
      expect(peer?.role).toBe('target');

      // A policy naming a site that is not paired is refused; the paired one is accepted.
      const unknown = await a.call(a.admin, 'POST', '/policies', { name: 'Nowhere', rpoSeconds: 3600, retention: { keepLast: 3 }, replicationSite: 'no-such-site' });
      expect(unknown.status).toBe(400);
      const created = await a.call(a.admin, 'POST', '/policies', { name: 'Replicated', rpoSeconds: 3600, retention: { keepLast: 3 }, replicationSite: peer!.name });
      expect(created.status).toBe(201);
      const policyId = created.json<{ id: string }>().id;
      const vm = encodeURIComponent(a.urn(0));
      expect([200, 201]).toContain((await a.call(a.admin, 'PUT', `/vms/${vm}/protection`, { policyId })).status);
      const now = await a.call(a.admin, 'POST', `/vms/${vm}/backup`);
      expect([200, 201, 202]).toContain(now.status);

      await waitForJob('backup');
      const replication = await waitForJob('replication');
      const result = replication.result as { pointId: string; chunksSent: number; bytesSent: number; present: boolean };
      expect(result.present).toBeFalse();
      expect(result.chunksSent).toBeGreaterThan(0);
      // B's access log: a chunk upload that succeeded is routine (debug), the commit is not.
      const chunkLines = b.captured.lines.filter((l) => l.includes('"msg":"request"') && l.includes('/chunks/'));
      expect(chunkLines.filter((l) => !l.includes('"level":"debug"'))).toEqual([]);
      expect(b.captured.lines.some((l) => l.includes('"level":"info"') && l.includes('/replication/sessions/') && l.includes('/commit'))).toBeTrue();

      // A says what B holds of the VM.
      const state = (await a.call(a.admin, 'GET', `/vms/${vm}/replication`)).json<{ state: string; lastReplicatedPointId: string | null; site: { name: string } | null }>();
      expect(state.site?.name).toBe(peer!.name);
      expect(state.lastReplicatedPointId).toBe(result.pointId);
      expect(state.state).toBe('ok');

      // The link's figures reach the Sites view's answer.
      const link = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { link: { bytesSent: number } | null }[] }>().peers[0]?.link;
      expect(link?.bytesSent).toBeGreaterThanOrEqual(result.bytesSent);

      // RPO compliance at A counts the DR copy: B holds a point within the policy's RPO.
      const replicated = await complianceOf(a.urn(0));
      expect(replicated.status).toBe('compliant');
      expect(replicated.replication).toEqual({ siteName: peer!.name, state: 'ok', lagSeconds: jasmine.any(Number), rpoMet: true });

      // B keeps its replicas when A unpairs; A's policy still names B, whose copy no longer counts.
      const [source] = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string; role: string }[] }>().peers;
      expect(source?.role).toBe('source');
      expect((await a.call(a.admin, 'DELETE', `/sites/${peer!.id}`)).status).toBe(204);
      const unpaired = await complianceOf(a.urn(0));
      expect(unpaired.status).toBe('compliant');
      expect(unpaired.replication).toEqual({ siteName: peer!.name, state: 'site-not-paired', lagSeconds: null, rpoMet: false });

      // A is gone for good: its server stopped, its data directory (store, keys, catalog) deleted.
      const diskSha = await sha256File(a.vc.vms[0]!.disks[0]!.path);
      await a.server.stop();
      await rm(a.dataDir, { recursive: true, force: true });

      const replica = await Repository.open(join(b.dataDir, 'replicas', replicaFolder(source!.id)), { passphrase: sitePassphrase('site-b') }, never);
      const out = await tempDir('lifeline-replica-restore-');
      try {
        const [disk] = (await replica.readManifest(result.pointId, never)).disks;
        expect(await restoredSha(replica, result.pointId, join(out.path, 'disk.img'), disk!.disk)).toBe(diskSha);
      } finally {
        await replica.close();
        await out.remove();
      }
      // Through B's API too: the source site that unpaired B is kept there, marked, and its VM's
      // replicated point is there to fail over from.
      const [marked] = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string; unpairedByPeerAt: string | null }[] }>().peers;
      expect(marked?.id).toBe(source!.id);
      expect(marked?.unpairedByPeerAt).not.toBeNull();
      const listed = await b.call(b.admin, 'GET', `/sites/${source!.id}/replicated-vms`);
      expect(listed.status).withContext(listed.text).toBe(200);
      expect(listed.json<{ items: { latestPoint: { id: string } | null }[] }>().items.map((v) => v.latestPoint?.id)).toEqual([result.pointId]);
    },
    SLOW,
  );
});
