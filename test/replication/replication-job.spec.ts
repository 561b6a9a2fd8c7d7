// The `replication` job kind on the job runner: after each backup that succeeds for a VM whose
// policy names a replication site, the coordinator queues a replication job that copies the VM's
// newest point to the paired DR site over mutual TLS (real runner and catalog database, real
// repositories, real TLS on loopback). The backups here are a job of kind 'backup' that writes a
// restore point of an image file into site A's repository, as the backup pipeline's job does
// with a VM's disks; what the coordinator reads of it is its kind, state and result's pointId.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createJobRunner, isTerminal, type JobRecord, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock, vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/logger.js';
import { REPLICATION_JOB_KIND, startReplication, type PeerRecord, type Replication, type ReplicaReceiver, type ReplicationSettings } from '../../plugin-server/src/replication/index.js';
import type { Repository } from '../../plugin-server/src/store/repository.js';
import { ingestImage, MiB, never, tempDir, writeImage } from '../store/store-fixtures.js';
import { SqlitePeerStore } from '../../plugin-server/src/sites/peer-store.js';
import { clientOf, replicaSitesB, startLinkSites, type LinkSites } from './link-sites.js';
import { startSiteListener } from './site-link.js';

const VM1: VmRef = { vcenterGuid: 'vc-a', moref: 'vm-101' };
const VM2: VmRef = { vcenterGuid: 'vc-a', moref: 'vm-102' };

async function ended(runner: JobRunner, id: string): Promise<JobRecord> {
  for (;;) {
    const job = runner.get(id);
    if (isTerminal(job.state)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The replication job queued for `vm` after its backup `backupId` ended. */
async function replicationAfter(runner: JobRunner, vm: VmRef, backupId: string): Promise<JobRecord> {
  const backup = await ended(runner, backupId);
  expect(backup.state).withContext(JSON.stringify(backup.error)).toBe('succeeded');
  for (;;) {
    const [job] = runner.list({ kind: REPLICATION_JOB_KIND, target: { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid }, limit: 1 }).items;
    if (job && Date.parse(job.createdAt) >= Date.parse(backup.createdAt)) return ended(runner, job.id);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the replication job after each backup', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let s: LinkSites;
  let db: Database.Database;
  let runner: JobRunner;
  let replication: Replication;
  let settings: ReplicationSettings;
  const sitesOfPolicy: Record<string, string | null> = { dr: 'site-b', none: null, gone: 'site-z' };
  let offers: string[];
  let busy: number;
  let maxBusy: number;
  /** While set, chunks wait for it at A's end of the link (a replication that takes long). */
  let hold: Promise<void> | null;
  let held: number;

  beforeEach(async () => {
    dir = await tempDir('replication-job');
    s = await startLinkSites(dir.path);
    settings = { bandwidthMBps: null, window: null, retention: { keepLast: 2, daily: 0, weekly: 0, monthly: 0 }, immutableDays: 14, maxConcurrentVms: 1 };
    const peerB = (): PeerRecord => ({ id: 'site-b', name: 'site B', thumbprint: s.idB.thumbprint, url: s.listener.url, role: 'target', pairedAt: new Date().toISOString(), settings });
    db = new Database(join(dir.path, 'state.db'));
    runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 4 }, progressIntervalMs: 50 });
    const repo: Repository = s.a;
    runner.register<{ vm: VmRef; policyId: string; image: string }, unknown>('backup', {
      run: async (ctx) => ({ pointId: (await ingestImage(repo, vmKey(ctx.params.vm), ctx.params.image)).point.id }),
    });
    offers = [];
    busy = maxBusy = held = 0;
    hold = null;
    replication = startReplication({
      runner,
      peers: { peer: (id) => (id === 'site-b' || id === 'site B' ? peerB() : undefined), peers: () => [peerB()] },
      identity: s.idA,
      repository: repo,
      siteOfBackup: (job) => sitesOfPolicy[(job.params as { policyId: string }).policyId] ?? null,
      logger: silentLogger,
      receiverFor: () => {
        const http = clientOf(s, s.listener.url);
        const open = new Set<string>();
        const r: ReplicaReceiver & { close(): void } = {
          offer: async (o, sig) => {
            offers.push(o.pointId);
            const a = await http.offer(o, sig);
            if (a.kind === 'send') {
              open.add(a.session);
              maxBusy = Math.max(maxBusy, ++busy);
            }
            return a;
          },
          putChunk: async (id, hex, bytes, sig) => {
            if (hold) {
              held++;
              await hold;
            }
            return http.putChunk(id, hex, bytes, sig);
          },
          commit: async (id, sig) => {
            try {
              return await http.commit(id, sig);
            } finally {
              if (open.delete(id)) busy--;
            }
          },
          close: () => http.close(),
        };
        return r;
      },
    });
    await runner.start();
  });

  afterEach(async () => {
    replication.stop();
    await runner.stop();
    db.close();
    await s.close();
    await dir.remove();
  });

  const image = async (name: string, seed: number): Promise<string> => {
    const path = join(dir.path, `${name}.img`);
    await writeImage(path, 8 * MiB, (i) => ({ kind: 'random', seed: seed + i }));
    return path;
  };
  const backup2 = (r: JobRunner, vm: VmRef, policyId: string, img: string): string =>
    r.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: vm.moref, vcenterGuid: vm.vcenterGuid }, params: { vm, policyId, image: img } }).job.id;
  const backup = (vm: VmRef, policyId: string, img: string): string => backup2(runner, vm, policyId, img);

  it('replicates the new point after a backup, with its result, the link\'s figures and the VM\'s state', async () => {
    const job = await replicationAfter(runner, VM1, backup(VM1, 'dr', await image('a', 1)));
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
    const result = job.result as { site: string; pointId: string; chunks: number; chunksSent: number; bytesSent: number; present: boolean };
    expect(result).toEqual(jasmine.objectContaining({ site: 'site-b', present: false, chunks: 8, chunksSent: 8 }));
    expect(result.bytesSent).toBeGreaterThan(8 * MiB);
    expect(job.progress.bytesDone).toBe(result.bytesSent);
    const b = (await s.sites.replica('site-a', never)) as Repository;
    expect(b.listPoints().map((p) => p.id)).toEqual([result.pointId]);
    const stats = replication.linkStats('site-b');
    expect(stats).toEqual(jasmine.objectContaining({ state: 'idle', lastError: null, bytesSent: result.bytesSent, backlogPoints: 0 }));
    expect(stats?.lastContactAt).not.toBeNull();
    const state = replication.vmReplication(VM1, { replicationSite: 'site-b', rpoSeconds: 3600 });
    expect(state).toEqual(jasmine.objectContaining({ site: { id: 'site-b', name: 'site B' }, state: 'ok', lastReplicatedPointId: result.pointId, rpoMet: true, backlogPoints: 0, lastError: null }));
    expect(replication.vmReplication(VM1, { replicationSite: null, rpoSeconds: 3600 }).state).toBe('not-configured');
    // A backup with a policy naming no site queues nothing.
    const plain = backup(VM2, 'none', await image('b', 50));
    await ended(runner, plain);
    expect(runner.list({ kind: REPLICATION_JOB_KIND, target: { type: 'VirtualMachine', id: VM2.moref, vcenterGuid: VM2.vcenterGuid } }).items).toEqual([]);
  });

  it('fails the replication visibly when the policy names a site this server is not paired with', async () => {
    const job = await replicationAfter(runner, VM1, backup(VM1, 'gone', await image('a', 1)));
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('replication-site-unknown');
    expect(job.error?.message).toMatch(/"site-z", which this Lifeline server is not paired with/);
    expect(job.attempt).toBe(1);
    const state = replication.vmReplication(VM1, { replicationSite: 'site-z', rpoSeconds: 3600 });
    expect(state).toEqual(jasmine.objectContaining({ state: 'site-not-paired', rpoMet: false }));
    expect(state.lastError).toMatch(/not paired/);
  });

  it('after an outage sends the newest point first, then only the older ones the DR site\'s retention keeps', async () => {
    // Three backups while nothing replicates (the policy names no site yet).
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = backup(VM1, 'none', await image(`p${i}`, 100 * i));
      const done = await ended(runner, id);
      ids.push((done.result as { pointId: string }).pointId);
    }
    const job = await replicationAfter(runner, VM1, backup(VM1, 'dr', await image('p3', 300)));
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
    const newest = (job.result as { pointId: string }).pointId;
    // keepLast 2 at the DR site: the newest, then the one before it; the two oldest stay behind.
    expect(offers).toEqual([newest, ids[2] as string]);
    expect((job.result as { olderPoints: string[] }).olderPoints).toEqual([ids[2] as string]);
  });

  it('lets the next backup of a VM run while its replication does, then replicates that point, never two replications of the VM at once', async () => {
    let release = (): void => undefined;
    hold = new Promise<void>((resolve) => (release = resolve));
    const target = { type: 'VirtualMachine', id: VM1.moref, vcenterGuid: VM1.vcenterGuid };
    const replications = (states: Array<'queued' | 'running'>) => runner.list({ kind: REPLICATION_JOB_KIND, target, states }).items;
    expect((await ended(runner, backup(VM1, 'dr', await image('a', 1)))).state).toBe('succeeded');
    while (held === 0) await new Promise((r) => setTimeout(r, 25));
    const [first] = replications(['running']);

    // The replication holds its VM, yet the next backup is accepted and runs to the end.
    const next = await ended(runner, backup(VM1, 'dr', await image('b', 2)));
    expect(next.state).withContext(JSON.stringify(next.error)).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 50));
    expect(runner.get(first!.id).state).toBe('running');
    expect(replications(['queued', 'running']).map((j) => j.id)).toEqual([first!.id]);

    hold = null;
    release();
    expect((await ended(runner, first!.id)).state).toBe('succeeded');
    const after = await replicationAfter(runner, VM1, next.id);
    expect(after.id).not.toBe(first!.id);
    expect(after.state).withContext(JSON.stringify(after.error)).toBe('succeeded');
    expect((after.result as { pointId: string }).pointId).toBe((next.result as { pointId: string }).pointId);
    expect(Date.parse(after.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(runner.get(first!.id).finishedAt ?? ''));
  });

  it('replicates at most maxConcurrentVms VMs at once over one link', async () => {
    const [i1, i2] = [await image('v1', 1), await image('v2', 500)];
    const b1 = backup(VM1, 'dr', i1);
    const b2 = backup(VM2, 'dr', i2);
    const [j1, j2] = [await replicationAfter(runner, VM1, b1), await replicationAfter(runner, VM2, b2)];
    expect([j1.state, j2.state]).toEqual(['succeeded', 'succeeded']);
    expect(maxBusy).toBe(1);
  });

  it('knows after both sites restart which older points the DR site holds, and does not offer them again', async () => {
    // Site A as the server runs it: the pairing in its database, which also keeps what B holds.
    replication.stop();
    await runner.stop();
    const start = async (): Promise<{ runner: JobRunner; replication: Replication }> => {
      const peers = new SqlitePeerStore(db, systemClock);
      const r = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 4 }, progressIntervalMs: 50 });
      r.register<{ vm: VmRef; policyId: string; image: string }, unknown>('backup', {
        run: async (ctx) => ({ pointId: (await ingestImage(s.a, vmKey(ctx.params.vm), ctx.params.image)).point.id }),
      });
      const rep = startReplication({
        runner: r,
        peers,
        figures: peers,
        identity: s.idA,
        repository: s.a,
        siteOfBackup: (job) => ((job.params as { policyId: string }).policyId === 'dr' ? 'site B' : null),
        logger: silentLogger,
        receiverFor: () => {
          const http = clientOf(s, s.listener.url);
          return { offer: (o, sig) => (offers.push(o.pointId), http.offer(o, sig)), putChunk: (...a) => http.putChunk(...a), commit: (...a) => http.commit(...a), close: () => http.close() };
        },
      });
      await r.start();
      return { runner: r, replication: rep };
    };
    new SqlitePeerStore(db, systemClock).add({ name: 'site B', url: s.listener.url, thumbprint: s.idB.thumbprint, role: 'target', settings });
    let a = await start();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((((await ended(a.runner, backup2(a.runner, VM1, 'none', await image(`r${i}`, 700 + 100 * i)))).result ?? {}) as { pointId: string }).pointId);
    const first = await replicationAfter(a.runner, VM1, backup2(a.runner, VM1, 'dr', await image('r3', 1000)));
    expect(first.state).withContext(JSON.stringify(first.error)).toBe('succeeded');
    const newest = (first.result as { pointId: string }).pointId;
    // keepLast 2 at the DR site: the newest, then the one before it.
    expect(offers).toEqual([newest, ids[2] as string]);

    // Both sites restart: A's server (its job runner and replication over the same database) and
    // B's site listener with its replicas, on the same address.
    a.replication.stop();
    await a.runner.stop();
    const port = Number(new URL(s.listener.url).port);
    await s.listener.close();
    await s.sites.close();
    const sitesB = replicaSitesB(dir.path, s.idB, s.peerA);
    const listenerB = await startSiteListener({ identity: s.idB, peers: () => [s.peerA], receiverFor: (p) => sitesB.receiverFor(p), port });
    try {
      a = await start();
      offers = [];
      const next = await replicationAfter(a.runner, VM1, backup2(a.runner, VM1, 'dr', await image('r4', 1100)));
      expect(next.state).withContext(JSON.stringify(next.error)).toBe('succeeded');
      // The newest point, and not the one before it: B holds that since before the restart.
      expect(offers).toEqual([(next.result as { pointId: string }).pointId]);
      expect((next.result as { olderPoints: string[] }).olderPoints).toEqual([]);
      expect(((await sitesB.replica('site-a', never)) as Repository).listPoints().map((p) => p.id)).toContain(newest);
    } finally {
      a.replication.stop();
      await a.runner.stop();
      await listenerB.close();
      await sitesB.close();
    }
    // afterEach stops these again.
    runner = a.runner;
    replication = a.replication;
  });
});
