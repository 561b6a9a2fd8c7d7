import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { openCatalog, type SqliteCatalog } from './sqlite-catalog.js';
import type { PointRow } from './catalog-type.js';

function point(id: string, vmId: string, createdAt: number, extra: Partial<PointRow> = {}): PointRow {
  return {
    id,
    vmId,
    vmName: `name-${vmId}`,
    state: 'committed',
    consistency: 'crash',
    createdAt,
    retainUntil: createdAt + 7 * 86_400_000,
    parentId: null,
    damaged: false,
    logicalBytes: 0,
    dataBytes: 0,
    readBytes: 0,
    newChunks: 0,
    newStoredBytes: 0,
    ...extra,
  };
}

describe('SQLite catalog', () => {
  let dir: string;
  let cat: SqliteCatalog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-catalog-'));
    cat = openCatalog(join(dir, 'catalog.db'));
  });
  afterEach(async () => {
    cat.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies every migration once, reopens without reapplying, and refuses a newer schema', () => {
    expect(cat.getMeta('missing')).toBeUndefined();
    cat.setMeta('k', 'v');
    cat.close();
    cat = openCatalog(join(dir, 'catalog.db'));
    expect(cat.getMeta('k')).toBe('v');
    cat.close();
    const raw = new Database(join(dir, 'catalog.db'));
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    // Another component's tables in the same file are not ours to touch.
    raw.exec('CREATE TABLE other_thing (x INTEGER); INSERT INTO other_thing VALUES (7)');
    raw.close();
    cat = openCatalog(join(dir, 'catalog.db'));
    cat.close();
    const again = new Database(join(dir, 'catalog.db'));
    expect(again.prepare('SELECT x FROM other_thing').get()).toEqual({ x: 7 });
    again.pragma('user_version = 99');
    again.close();
    expect(() => openCatalog(join(dir, 'catalog.db'))).toThrowError(/schema version 99/);
    cat = openCatalog(join(dir, 'fresh.db'));
  });

  it('lists committed points of a VM newest first and hides pending and deleting ones', () => {
    cat.insertPoint(point('a', 'vm1', 1000));
    cat.insertPoint(point('b', 'vm1', 3000));
    cat.insertPoint(point('c', 'vm1', 2000, { state: 'pending' }));
    cat.insertPoint(point('d', 'vm1', 4000, { state: 'deleting' }));
    cat.insertPoint(point('e', 'vm2', 5000));
    expect(cat.listPoints({ vmId: 'vm1' }).map((p) => p.id)).toEqual(['b', 'a']);
    expect(cat.latestPoint('vm1')?.id).toBe('b');
    expect(cat.latestPoint('vm3')).toBeUndefined();
    expect(cat.listPoints({ states: ['pending', 'deleting'] }).map((p) => p.id)).toEqual(['d', 'c']);
    expect(cat.listPoints({ before: 3000 }).map((p) => p.id)).toEqual(['a']);
    expect(cat.countPoints()).toBe(3);
  });

  it('stores disks and removes them with their point', () => {
    cat.insertPoint(point('a', 'vm1', 1000));
    cat.replaceDisks('a', [
      { pointId: 'a', disk: 1, label: 'data', capacity: 10, chunkSize: 4, indexKey: 'points/a/disk-1.fidx', indexSha256: 'x', changeId: null },
      { pointId: 'a', disk: 0, label: 'os', capacity: 20, chunkSize: 4, indexKey: 'points/a/disk-0.fidx', indexSha256: 'y', changeId: '52 1/3' },
    ]);
    expect(cat.pointDisks('a').map((d) => [d.disk, d.changeId])).toEqual([[0, '52 1/3'], [1, null]]);
    cat.deletePoint('a');
    expect(cat.pointDisks('a')).toEqual([]);
    expect(cat.getPoint('a')).toBeUndefined();
  });

  it('raises retention and never lowers it', () => {
    cat.insertPoint(point('a', 'vm1', 1000, { retainUntil: 5000 }));
    cat.recordRetention('a', 9000, 1100, 'extend');
    cat.recordRetention('a', 7000, 1200, 'attempted shorter');
    expect(cat.getPoint('a')?.retainUntil).toBe(9000);
  });

  it('grants a maintenance lock to one live owner at a time and takes over a dead one', () => {
    const alive = new Set(['p1', 'p2']);
    expect(cat.tryTakeMaintenance('gc', 'p1', 10, (o) => alive.has(o))).toEqual({ taken: true });
    expect(cat.tryTakeMaintenance('gc', 'p2', 20, (o) => alive.has(o))).toEqual({ taken: false, holder: 'p1', since: 10 });
    alive.delete('p1');
    expect(cat.tryTakeMaintenance('gc', 'p2', 30, (o) => alive.has(o))).toEqual({ taken: true });
    cat.releaseMaintenance('gc', 'p2');
    expect(cat.tryTakeMaintenance('gc', 'p1', 40, () => true)).toEqual({ taken: true });
  });

  it('keeps the high-water time monotonic', () => {
    cat.recordTime(5000);
    cat.recordTime(3000);
    expect(cat.highWater()).toBe(5000);
  });

  it('records damage and marks the affected points', () => {
    cat.insertPoint(point('a', 'vm1', 1000));
    cat.insertPoint(point('b', 'vm1', 2000));
    const run = cat.startRun('verify', 10);
    cat.recordDamage([{ digest: 'd1', problem: 'corrupt', detail: 'bad tag', foundAt: 11 }], run, new Map([['d1', ['a']]]));
    cat.finishRun(run, 12, 'damage', { corrupt: 1 });
    expect(cat.getPoint('a')?.damaged).toBe(true);
    expect(cat.getPoint('b')?.damaged).toBe(false);
    expect(cat.listDamage().map((d) => d.digest)).toEqual(['d1']);
    expect(cat.lastRun('verify')?.summary).toEqual({ corrupt: 1 });
  });

  // A correctness-of-indexing requirement rather than a benchmark: with a million points the two
  // questions the UI asks most must be answered from the index, not by scanning or sorting.
  it('answers "points of a VM" and "latest point of a VM" from an index with a million points', () => {
    const vms = 10_000;
    const t0 = performance.now();
    cat.bulkInsert(
      (function* () {
        for (let i = 0; i < 1_000_000; i++) {
          yield point(`p${String(i).padStart(7, '0')}`, `vm-${i % vms}`, 1_700_000_000_000 + i * 1000);
        }
      })(),
    );
    const inserted = performance.now() - t0;

    const listSql = "SELECT * FROM repo_points WHERE vm_id = ? AND state IN ('committed') ORDER BY created_at DESC, id DESC";
    const latestSql = "SELECT * FROM repo_points WHERE vm_id = ? AND state = 'committed' ORDER BY created_at DESC LIMIT 1";
    for (const sql of [listSql, latestSql]) {
      const plan = cat.explain(sql, 'vm-42').join(' | ');
      expect(plan).withContext(sql).toContain('USING INDEX repo_points_by_vm');
      expect(plan).withContext(sql).not.toContain('SCAN points');
    }
    // ORDER BY created_at comes straight from the index for the latest point: no sort step.
    expect(cat.explain(latestSql, 'vm-42').join(' | ')).not.toContain('TEMP B-TREE');

    const t1 = performance.now();
    const list = cat.listPoints({ vmId: 'vm-42' });
    const t2 = performance.now();
    const latest = cat.latestPoint('vm-42');
    const t3 = performance.now();
    expect(list.length).toBe(100);
    expect(latest?.id).toBe('p0990042');
    process.stdout.write(
      `\n  catalog: 1M points inserted in ${inserted.toFixed(0)} ms; points of a VM ${(t2 - t1).toFixed(2)} ms, latest point ${(t3 - t2).toFixed(2)} ms\n`,
    );
  }, 120_000);
});
