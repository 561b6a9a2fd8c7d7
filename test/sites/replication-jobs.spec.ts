// Replication jobs as users meet them at the production site, between two real Lifeline servers
// (two simulated vCenters, paired over mutual TLS): a replication that takes long — the pairing's
// bandwidth limit makes it so here — keeps neither the VM's next backup waiting nor a second
// replication of the VM from waiting for it, whoever may cancel the VM's backup may cancel its
// replication, and the link's figures in the Sites view outlive a restart of the server.
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { fillDisk } from '../demo/demo-seed.js';
import { pair, startTwoSites, type TwoSites } from './two-site-fixture.js';

const SLOW = 600_000;
const PROTECTOR = { username: 'protector@vsphere.local', password: 'Protector-1!', vmPrivileges: { 0: [PRIVILEGES.protect] } };
const VIEWER = { username: 'viewer@vsphere.local', password: 'Viewer-1!' };

interface JobBody {
  id: string;
  kind: string;
  state: string;
  createdAt: string;
  error: { code: string; message: string } | null;
  result: Record<string, unknown> | null;
}

describe('replication jobs at the production site', () => {
  let sites: TwoSites;

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      users: [PROTECTOR, VIEWER],
      prepare: async (name, vc) => {
        if (name === 'site-a') await fillDisk(vc.vms[0]!.disks[0]!.path, 12 * 1024 * 1024, 11);
      },
    });
    // 1 MB/s: the VM's first replication takes several seconds.
    await pair(sites.a, sites.b, { bandwidthMBps: 1 });
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  async function jobs(kind: string, states: string): Promise<JobBody[]> {
    const { a } = sites;
    return (await a.call(a.admin, 'GET', `/jobs?kind=${kind}&state=${states}&target=${encodeURIComponent(a.urn(0))}`)).json<{ items: JobBody[] }>().items;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 600; i++) {
      const found = await probe();
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`waited 60 s for ${what}`);
  }

  it(
    'lets the VM back up while it replicates, never runs two replications of it, and lets a user with Protect on the VM cancel one',
    async () => {
      const { a } = sites;
      const [peer] = (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { id: string; name: string }[] }>().peers;
      const policy = await a.call(a.admin, 'POST', '/policies', { name: 'Replicated slowly', rpoSeconds: 3600, retention: { keepLast: 3 }, replicationSite: peer!.name });
      expect(policy.status).toBe(201);
      const vm = encodeURIComponent(a.urn(0));
      expect([200, 201]).toContain((await a.call(a.admin, 'PUT', `/vms/${vm}/protection`, { policyId: policy.json<{ id: string }>().id })).status);

      expect((await a.call(a.admin, 'POST', `/vms/${vm}/backup`)).status).toBe(202);
      const replicating = await until('a running replication', async () => (await jobs('replication', 'running'))[0]);
      // Under way: the first chunks have reached the DR site.
      await until('the first chunks at the DR site', async () => {
        const j = (await a.call(a.admin, 'GET', `/jobs/${replicating.id}`)).json<{ progress: { bytesDone: number } }>();
        return j.progress.bytesDone > 0 ? j : undefined;
      });

      // The next backup of the VM is accepted and finishes while the replication still runs.
      const next = await a.call(a.admin, 'POST', `/vms/${vm}/backup`);
      expect(next.status).withContext(next.text).toBe(202);
      const nextId = next.json<{ job: { id: string } }>().job.id;
      const backedUp = await until('the second backup', async () => {
        const j = (await a.call(a.admin, 'GET', `/jobs/${nextId}`)).json<JobBody>();
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      });
      expect(backedUp.state).withContext(JSON.stringify(backedUp.error)).toBe('succeeded');
      await new Promise((r) => setTimeout(r, 200));
      expect((await jobs('replication', 'queued,running')).map((j) => j.id)).toEqual([replicating.id]);

      // Cancelling it needs what cancelling the VM's backup needs: Protect on the VM.
      const viewer = await a.login(VIEWER.username, VIEWER.password);
      expect((await a.call(viewer, 'POST', `/jobs/${replicating.id}/cancel`)).status).toBe(403);
      const protector = await a.login(PROTECTOR.username, PROTECTOR.password);
      const cancel = await a.call(protector, 'POST', `/jobs/${replicating.id}/cancel`);
      expect(cancel.status).withContext(cancel.text).toBe(202);
      const cancelled = await until('the cancelled replication', async () => {
        const j = (await a.call(a.admin, 'GET', `/jobs/${replicating.id}`)).json<JobBody>();
        return j.state === 'cancelled' ? j : undefined;
      });
      expect(cancelled.error?.message).toMatch(/^cancelled by .*protector/i);

      // The point the second backup made is replicated next, by a job of its own.
      const following = await until('the following replication', async () => (await jobs('replication', 'queued,running')).find((j) => j.id !== replicating.id));
      expect(Date.parse(following.createdAt)).toBeGreaterThan(Date.parse(backedUp.createdAt));
      expect((await a.call(protector, 'POST', `/jobs/${following.id}/cancel`)).status).toBeLessThan(300);
      await until('the following replication to end', async () => {
        const j = (await a.call(a.admin, 'GET', `/jobs/${following.id}`)).json<JobBody>();
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      });

      // The Sites view's figures of the link outlive a restart of the server.
      type LinkBody = { bytesSent: number; lastContactAt: string | null; throughputBps: number; state: string } | null;
      const linkNow = async (): Promise<LinkBody> => (await a.call(a.admin, 'GET', '/sites')).json<{ peers: { link: LinkBody }[] }>().peers[0]?.link ?? null;
      const before = await linkNow();
      expect(before?.bytesSent).toBeGreaterThan(0);
      expect(before?.lastContactAt).not.toBeNull();
      await a.restart();
      const after = await linkNow();
      expect(after).toEqual(jasmine.objectContaining({ bytesSent: before!.bytesSent, lastContactAt: before!.lastContactAt, throughputBps: 0, state: 'idle' }));
    },
    SLOW,
  );
});
