// The catalog is an index over the repository's sealed manifests: losing it, or finding an older
// copy in its place, must never cost a restore point — neither to GC nor to the next open.
import { copyFile, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PointRow } from '../../plugin-server/src/catalog/index.js';
import { FaultyBackend } from '../../plugin-server/src/store/testing.js';
import { collectGarbage } from '../../plugin-server/src/store/maintenance/gc.js';
import { rebuildCatalog } from '../../plugin-server/src/store/maintenance/catalog-rebuild.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { FAST_SCRYPT, ingestImage, MiB, restoredSha, TestClock, never, patchFile, tempDir, writeImage } from './store-fixtures.js';

const PASS = 'catalog rebuild passphrase';
const CATALOG_FILES = ['catalog.db', 'catalog.db-wal', 'catalog.db-shm'];

describe('catalog rebuild', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: TestClock;
  let repoDir: string;
  let repo: Repository | undefined;

  const open = async (extra: { skipCatalogRebuild?: boolean } = {}): Promise<Repository> => {
    repo = await Repository.open(repoDir, { passphrase: PASS, clock, ...extra }, never);
    return repo;
  };
  const close = async (): Promise<void> => {
    await repo?.close();
    repo = undefined;
  };
  const removeCatalog = async (): Promise<void> => {
    for (const f of CATALOG_FILES) await rm(join(repoDir, f), { force: true });
  };

  const ingest = async (r: Repository, vm: string, file: string, retainDays: number): Promise<string> =>
    (await ingestImage(r, vm, file, { name: `${vm}-name`, consistency: 'application', retainDays })).point.id;
  const restored = (r: Repository, pointId: string): Promise<string> => restoredSha(r, pointId, join(dir.path, 'restored.img'));

  beforeEach(async () => {
    dir = await tempDir('rebuild');
    clock = new TestClock();
    repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: PASS, scrypt: FAST_SCRYPT, clock }, never);
  });
  afterEach(async () => {
    await close();
    await dir.remove();
  });

  it('puts every point back when the catalog is lost: identity, consistency, extended retention, totals, and the bytes restore', async () => {
    const a = join(dir.path, 'a.img');
    const b = join(dir.path, 'b.img');
    const shaA = await writeImage(a, 9 * MiB, (i) => (i % 3 === 0 ? { kind: 'zero' } : { kind: 'random', seed: i }));
    const shaB = await writeImage(b, 5 * MiB, (i) => (i === 2 ? { kind: 'text' } : { kind: 'random', seed: 50 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 2);
    clock.advance(60_000);
    const pb = await ingest(r, 'vm-b', b, 2);
    const extendedUntil = clock.now() + 30 * DAY_MS;
    await r.extendRetention(pa, extendedUntil, 'legal hold', never);
    const before = r.listPoints().map((p) => ({ ...p }));
    const disksBefore = [r.catalog.pointDisks(pa), r.catalog.pointDisks(pb)];
    await close();

    await removeCatalog();
    r = await open();
    expect(r.rebuiltOnOpen?.added).toEqual([pa, pb]);
    const after = r.listPoints();
    expect(after.map((p) => p.id).sort()).toEqual([pa, pb].sort());
    // What the manifests and indexes say comes back exactly; what only the ingest knew (bytes
    // read, chunks it added) is not recorded anywhere else and reads 0.
    const lasting = (p: PointRow) => [p.id, p.vmId, p.vmName, p.state, p.consistency, p.createdAt, p.parentId, p.damaged, p.logicalBytes, p.dataBytes];
    expect(after.map(lasting).sort()).toEqual(before.map(lasting).sort());
    // The extension lived only in the lost catalog and on the objects' locks: it is back.
    expect(r.getPoint(pa).retainUntil).toBe(extendedUntil);
    expect([r.catalog.pointDisks(pa), r.catalog.pointDisks(pb)]).toEqual(disksBefore);
    expect(await restored(r, pa)).toBe(shaA);
    expect(await restored(r, pb)).toBe(shaB);
    // Deleting is still refused before the (extended) retain-until.
    clock.advance(5 * DAY_MS);
    await expectAsync(r.deletePoint(pa, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
  });

  it('GC with an older catalog keeps the points it does not know and their chunks; rebuild-catalog puts them back', async () => {
    const a = join(dir.path, 'a.img');
    const b = join(dir.path, 'b.img');
    await writeImage(a, 8 * MiB, (i) => ({ kind: 'random', seed: i }));
    const shaB = await writeImage(b, 8 * MiB, (i) => ({ kind: 'random', seed: 900 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    await close();
    // An administrator's copy of the catalog from before the second backup.
    const saved = join(dir.path, 'catalog-copy.db');
    await copyFile(join(repoDir, 'catalog.db'), saved);
    r = await open();
    clock.advance(60_000);
    const pb = await ingest(r, 'vm-b', b, 1);
    await close();
    await removeCatalog();
    await copyFile(saved, join(repoDir, 'catalog.db'));

    r = await open();
    expect(r.rebuiltOnOpen).toBeUndefined();
    expect(r.listPoints().map((p) => p.id)).toEqual([pa]);
    // Every lock has passed: only knowing the point keeps its chunks now.
    clock.advance(4 * DAY_MS);
    const gc = await collectGarbage(r, { graceMs: 0, signal: never });
    expect(gc.pointsNotInCatalog).toEqual([pb]);
    expect(gc.extraIndexesMarked).toBe(1);
    expect(gc.swept).toBe(0);
    expect(gc.orphanObjectsRemoved).toBe(0);
    await expectAsync(stat(join(repoDir, 'points', pb, 'manifest'))).toBeResolved();

    const rep = await rebuildCatalog(r, { signal: never });
    expect(rep).toEqual({ manifests: 2, known: 1, added: [pb], damaged: [], invalid: [] });
    expect(await restored(r, pb)).toBe(shaB);
    const again = await rebuildCatalog(r, { signal: never });
    expect(again.added).toEqual([]);
  });

  it('reports a manifest that does not verify and keeps it; a point whose index is gone comes back damaged', async () => {
    const a = join(dir.path, 'a.img');
    const b = join(dir.path, 'b.img');
    await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 300 + i }));
    await writeImage(b, 4 * MiB, (i) => ({ kind: 'random', seed: 400 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    clock.advance(60_000);
    const pb = await ingest(r, 'vm-b', b, 1);
    await close();
    await removeCatalog();
    const manifest = join(repoDir, 'points', pa, 'manifest');
    const bytes = await readFile(manifest);
    await patchFile(manifest, bytes.length - 5, Buffer.from([bytes[bytes.length - 5]! ^ 0xff]));
    await rm(join(repoDir, 'points', pb, 'disk-0.fidx'));

    r = await open();
    expect(r.rebuiltOnOpen?.invalid.map((x) => x.key)).toEqual([`points/${pa}/manifest`]);
    expect(r.rebuiltOnOpen?.added).toEqual([pb]);
    expect(r.rebuiltOnOpen?.damaged).toEqual([pb]);
    expect(r.listPoints().map((p) => [p.id, p.damaged])).toEqual([[pb, true]]);

    // GC keeps the unverifiable point's objects and chunks (its index still says which).
    clock.advance(4 * DAY_MS);
    await r.deletePoint(pb, never);
    const gc = await collectGarbage(r, { graceMs: 0, signal: never });
    expect(gc.pointsNotInCatalog).toEqual([pa]);
    expect(gc.extraIndexesMarked).toBe(1);
    expect(gc.swept).toBe(1); // pb's one chunk, no longer referenced by anything
    expect((await readFile(manifest)).length).toBe(bytes.length);
  });

  it('an unreadable catalog file stops the open with what to do, and moving it aside rebuilds', async () => {
    const a = join(dir.path, 'a.img');
    const shaA = await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 700 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    await close();
    await removeCatalog();
    await writeFile(join(repoDir, 'catalog.db'), 'this is not a database, it was overwritten by mistake\n'.repeat(200));

    const err = await Repository.open(repoDir, { passphrase: PASS, clock }, never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStoreError(err, 'catalog-unreadable')).withContext(String(err)).toBeTrue();
    expect((err as Error).message).toContain(join(repoDir, 'catalog.db'));
    expect((err as Error).message).toContain('move the file aside');

    await removeCatalog();
    r = await open();
    expect(r.listPoints().map((p) => p.id)).toEqual([pa]);
    expect(await restored(r, pa)).toBe(shaA);
  });

  it('leaves a new catalog empty when asked to, so that rebuild-catalog can report what it puts back', async () => {
    const a = join(dir.path, 'a.img');
    await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 800 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    await close();
    await removeCatalog();
    r = await open({ skipCatalogRebuild: true });
    expect(r.listPoints()).toEqual([]);
    expect((await rebuildCatalog(r, { signal: never })).added).toEqual([pa]);
    expect(r.listPoints().map((p) => p.id)).toEqual([pa]);
  });

  it('an open whose rebuild fails part-way rebuilds again on the next open', async () => {
    const a = join(dir.path, 'a.img');
    await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 1000 + i }));
    let r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    clock.advance(60_000);
    const pb = await ingest(r, 'vm-b', a, 1);
    await close();
    await removeCatalog();

    let faulty: FaultyBackend | undefined;
    const failing = Repository.open(repoDir, {
      passphrase: PASS,
      clock,
      wrapBackend: (b) => {
        faulty = new FaultyBackend(b);
        faulty.inject({ op: 'get', match: new RegExp(`points/${pb}/manifest`) });
        return faulty;
      },
    }, never);
    await expectAsync(failing).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-io' }));
    expect(faulty?.calls.get).toBeGreaterThan(0);

    r = await open();
    // The first open put back the older point before it failed; this one finds the rest.
    expect(r.rebuiltOnOpen?.added).toEqual([pb]);
    expect(r.listPoints().map((p) => p.id).sort()).toEqual([pa, pb].sort());
  });

  it('GC removes what a crashed writer left under a point id nobody knows, once unlocked, and nothing else', async () => {
    const a = join(dir.path, 'a.img');
    const shaA = await writeImage(a, 8 * MiB, (i) => ({ kind: 'random', seed: 1100 + i }));
    const r = await open();
    const pa = await ingest(r, 'vm-a', a, 1);
    // An index with no manifest and no catalog row, its lock long passed: a writer's leftover.
    const leftover = join(repoDir, 'points', '20200101-000000-0badc0de');
    await mkdir(leftover);
    await copyFile(join(repoDir, 'points', pa, 'disk-0.fidx'), join(leftover, 'disk-0.fidx'));
    await utimes(join(leftover, 'disk-0.fidx'), new Date(0), new Date(0));
    clock.advance(4 * DAY_MS);
    const gc = await collectGarbage(r, { graceMs: 0, signal: never });
    expect(gc.orphanObjectsRemoved).toBe(1);
    expect(gc.pointsNotInCatalog).toEqual([]);
    await expectAsync(stat(join(leftover, 'disk-0.fidx'))).toBeRejected();
    expect(await restored(r, pa)).toBe(shaA);
  });
});
