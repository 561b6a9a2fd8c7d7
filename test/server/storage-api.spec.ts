// The dashboard's storage figures and the administrator's settings over real HTTPS: a Lifeline
// server with its backup services on a real encrypted store holding points made from real image
// files, authorised by the vCenter simulator's own privilege checks. The storage figures must be
// what a full walk of the repository (repositoryStats) says, bucketed by the server's clock; the
// settings must never carry a secret.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PASSPHRASE_FILE } from '../../plugin-server/src/server/backup-services.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { PASSPHRASE_WARNING } from '../../plugin-server/src/api/routes/settings.js';
import { STORAGE_CACHE_MS, STORAGE_DAYS, type StorageFigures } from '../../plugin-server/src/api/routes/storage.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { repositoryStats } from '../../plugin-server/src/store/maintenance/stats.js';
import { writeImage, type Region } from '../store/store-fixtures.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { addPoint, createRepository, MiB, never, openRepository, PASSPHRASE } from '../export/export-fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Noon UTC, so that "an hour ago" is the same day and "two days ago" two buckets back. */
const NOW = Date.UTC(2025, 5, 18, 12);

/** 4 MiB chunks of 1 MiB regions: each chunk one kind, so chunks repeat exactly where a seed repeats. */
const chunkOf = (kinds: readonly Region[]) => (i: number): Region => kinds[Math.floor(i / 4)] ?? { kind: 'zero' };

describe('storage figures and settings over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  const clock = new ManualClock(NOW);

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, diskSize: 4 * MiB },
      users: [
        { username: 'viewer@vsphere.local', password: 'Viewer-1!' },
      ],
      dataDirPrefix: 'lifeline-storage-',
      backup: { passphrase: PASSPHRASE },
      deps: { jobClock: clock },
      prepare: async (vc, dataDir) => {
        const images = join(dataDir, 'images');
        await mkdir(images);
        const a = join(images, 'a.img');
        const b = join(images, 'b.img');
        // A: random, zero, text, the same random again (a duplicate inside the disk).
        await writeImage(a, 16 * MiB, chunkOf([{ kind: 'random', seed: 1 }, { kind: 'zero' }, { kind: 'text' }, { kind: 'random', seed: 1 }]));
        // B: A's random chunk (a duplicate across VMs) and one of its own.
        await writeImage(b, 8 * MiB, chunkOf([{ kind: 'random', seed: 1 }, { kind: 'random', seed: 2 }]));
        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        const vmId = (i: number) => `${vc.instanceUuid}:${vc.vms[i]?.moref ?? ''}`;
        try {
          await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: NOW - 2 * DAY, retainUntil: NOW + DAY }, [a]);
          await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: NOW - HOUR, retainUntil: NOW + DAY }, [a]);
          await addPoint(repo, { vmId: vmId(1), vmName: 'vm b', createdAt: NOW - HOUR / 2, retainUntil: NOW + DAY }, [b]);
          // Long ago: counted in the totals, outside the 30 days.
          await addPoint(repo, { vmId: vmId(1), vmName: 'vm b', createdAt: NOW - 40 * DAY, retainUntil: NOW + DAY }, [b]);
        } finally {
          await repo.close();
        }
        // As the server leaves it when it creates the store itself.
        await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
      },
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  describe('GET /storage', () => {
    it('says what a full walk of the repository says', async () => {
      const r = await fx.call(viewer, 'GET', '/storage');
      expect(r.status).withContext(r.text).toBe(200);
      const body = r.json<StorageFigures>();
      const stats = await repositoryStats(fx.backup.repository, never);
      expect(body.points).toBe(stats.points);
      expect(body.points).toBe(4);
      expect(body.vms).toBe(stats.vms);
      expect(body.vms).toBe(2);
      expect(body.logicalBytes).toBe(stats.logicalBytes);
      expect(body.logicalBytes).toBe(2 * 16 * MiB + 2 * 8 * MiB);
      expect(body.dataBytes).toBe(stats.dataBytes);
      expect(body.storedBytes).toBe(stats.referencedStoredBytes);
      expect(body.savedBytes).toBe(stats.dataBytes - stats.referencedStoredBytes);
      expect(body.dedupRatio).toBeCloseTo(stats.dedupRatio, 9);
      // Two points of A (3 data chunks, one twice) and two of B (2 data chunks): 10 referenced, 3 distinct.
      expect(body.dedupRatio).toBeCloseTo((2 * 3 + 2 * 2) / 3, 9);
      expect(body.compressionRatio).toBeCloseTo(stats.compressionRatio, 9);
      // A store in a directory: its objects' locks are file times on this server.
      expect(body.storage).toEqual({ kind: 'directory' });
      // Read on the server's clock (which the cache test moves by seconds).
      expect(Date.parse(body.asOf)).toBeGreaterThanOrEqual(NOW);
      expect(Date.parse(body.asOf)).toBeLessThanOrEqual(clock.now());
    });

    it('buckets the data added per UTC day over the last 30 days, zero-filled', async () => {
      const body = (await fx.call(viewer, 'GET', '/storage')).json<StorageFigures>();
      const days = body.dataAddedPerDay;
      expect(days.length).toBe(STORAGE_DAYS);
      expect(days[0]?.day).toBe('2025-05-20');
      expect(days[STORAGE_DAYS - 1]?.day).toBe('2025-06-18');
      const today = days[STORAGE_DAYS - 1];
      const twoDaysAgo = days.find((d) => d.day === '2025-06-16');
      const points = fx.backup.repository.listPoints();
      const added = (from: number, to: number) => points.filter((p) => p.createdAt >= from && p.createdAt < to).reduce((n, p) => n + p.newStoredBytes, 0);
      expect(twoDaysAgo).toEqual({ day: '2025-06-16', points: 1, newBytes: added(NOW - 3 * DAY, NOW - DAY) });
      expect(twoDaysAgo?.newBytes).toBeGreaterThan(0);
      expect(today).toEqual({ day: '2025-06-18', points: 2, newBytes: added(NOW - DAY, NOW) });
      expect(days.filter((d) => d.day !== '2025-06-16' && d.day !== '2025-06-18').every((d) => d.points === 0 && d.newBytes === 0)).toBeTrue();
    });

    it('keeps an answer for a while and then reads again, on the server’s clock', async () => {
      const first = (await fx.call(viewer, 'GET', '/storage')).json<StorageFigures>();
      const readAt = Date.parse(first.asOf);
      await clock.advanceTo(readAt + STORAGE_CACHE_MS - 1);
      expect((await fx.call(viewer, 'GET', '/storage')).json<StorageFigures>().asOf).toBe(first.asOf);
      await clock.advanceTo(readAt + STORAGE_CACHE_MS);
      const later = (await fx.call(viewer, 'GET', '/storage')).json<StorageFigures>();
      expect(later.asOf).toBe(new Date(readAt + STORAGE_CACHE_MS).toISOString());
      expect(later.points).toBe(first.points);
    });

    it('refuses a caller without a session', async () => {
      expectProblem(await fx.call(null, 'GET', '/storage'), 401, 'unauthenticated');
    });
  });

  describe('GET /settings', () => {
    it('shows an administrator the settings, with no secret in them', async () => {
      const r = await fx.call(admin, 'GET', '/settings');
      expect(r.status).withContext(r.text).toBe(200);
      const body = r.json<Record<string, unknown>>();
      expect(body).toEqual({
        version: fx.server.version,
        dataDir: fx.dataDir,
        storeDir: join(fx.dataDir, 'store'),
        storeEncrypted: true,
        passphraseInDataDir: true,
        vcenters: [...fx.config.vcenters.values()].map((v) => ({ guid: v.guid, url: v.url, user: v.user, thumbprint: v.thumbprint })),
        sessionIdleSeconds: fx.config.sessionIdleSeconds,
        jobLimits: jasmine.objectContaining({ global: fx.config.jobLimits.global, queued: fx.config.jobLimits.queued }),
        serverUrl: fx.server.url,
        certificateThumbprint: fx.server.thumbprint,
        maintenance: { enabled: true, at: '03:00', verifyPercent: 4, nextRunAt: jasmine.any(String) },
        warnings: [PASSPHRASE_WARNING],
      });
      // The next daily run is the next 03:00 on the server's clock (its local time).
      const next = new Date((body['maintenance'] as { nextRunAt: string }).nextRunAt);
      expect(next.getTime()).toBeGreaterThan(clock.now() - DAY);
      expect(next.getTime()).toBeLessThanOrEqual(clock.now() + DAY);
      expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([3, 0, 0]);
      expect(PASSPHRASE_WARNING).toContain('export the key and keep the passphrase elsewhere');
      expect(r.text).not.toContain(PASSPHRASE);
      expect(r.text).not.toContain(fx.vc.password);
      expect(body['vcenters']).toEqual([jasmine.objectContaining({ guid: fx.vc.instanceUuid, user: fx.vc.username, thumbprint: fx.vc.thumbprint })]);
      expect(r.text).not.toContain('vc.password');
      for (const t of fx.tokens) expect(r.text).not.toContain(t);
    });

    it('needs Lifeline’s Admin privilege', async () => {
      expectProblem(await fx.call(null, 'GET', '/settings'), 401, 'unauthenticated');
      const problem = expectProblem(await fx.call(viewer, 'GET', '/settings'), 403, 'forbidden');
      expect(JSON.stringify(problem)).toContain(PRIVILEGES.admin);
    });
  });
});
