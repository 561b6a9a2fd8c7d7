import { join } from 'node:path';
import Database from 'better-sqlite3';
import { point as basePoint, useTempCatalog } from './testing.js';
import { openCatalog, type SqliteCatalog } from './sqlite-catalog.js';
import type { PointRow, PointTotals } from './catalog-type.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 10);

/** A point whose figures are all multiples of n, so sums show which points were counted. */
function point(id: string, vmId: string, createdAt: number, n: number, state: PointRow['state'] = 'committed'): PointRow {
  return basePoint(id, vmId, createdAt, { state, logicalBytes: 1000 * n, dataBytes: 100 * n, readBytes: 100 * n, newChunks: n, newStoredBytes: 10 * n });
}

/** The same figures by a scan of every point: what the kept totals must always equal. */
function scanned(cat: SqliteCatalog): PointTotals {
  const pts = cat.listPoints();
  const sum = (f: (p: PointRow) => number) => pts.reduce((a, p) => a + f(p), 0);
  return {
    points: pts.length,
    vms: new Set(pts.map((p) => p.vmId)).size,
    logicalBytes: sum((p) => p.logicalBytes),
    dataBytes: sum((p) => p.dataBytes),
    newChunks: sum((p) => p.newChunks),
    newStoredBytes: sum((p) => p.newStoredBytes),
  };
}

describe('SQLite catalog: totals of the committed points', () => {
  const t = useTempCatalog();

  it('is zero for an empty catalog', () => {
    expect(t.cat.pointTotals()).toEqual({ points: 0, vms: 0, logicalBytes: 0, dataBytes: 0, newChunks: 0, newStoredBytes: 0 });
    expect(t.cat.pointTotalsByDay(0)).toEqual([]);
  });

  it('follows inserts, commits, stats updates, deletions and aborted points', () => {
    t.cat.insertPoint(point('a', 'vm-1', T0, 1, 'pending'));
    expect(t.cat.pointTotals().points).toBe(0);
    t.cat.updatePointStats('a', { logicalBytes: 5000, dataBytes: 700, readBytes: 700, newChunks: 7, newStoredBytes: 70 });
    t.cat.setPointState('a', 'committed');
    t.cat.insertPoint(point('b', 'vm-1', T0 + 1000, 2));
    t.cat.insertPoint(point('c', 'vm-2', T0 + 2000, 3));
    t.cat.insertPoint(point('d', 'vm-3', T0 + 3000, 4, 'pending'));
    expect(t.cat.pointTotals()).toEqual({ points: 3, vms: 2, logicalBytes: 10_000, dataBytes: 1200, newChunks: 12, newStoredBytes: 120 });
    expect(t.cat.pointTotals()).toEqual(scanned(t.cat));

    // Restated stats of a committed point replace its old ones.
    t.cat.updatePointStats('b', { logicalBytes: 1, dataBytes: 1, readBytes: 1, newChunks: 1, newStoredBytes: 1 });
    expect(t.cat.pointTotals()).toEqual(scanned(t.cat));
    // A point being deleted no longer counts; neither does a VM whose last point goes.
    t.cat.setPointState('c', 'deleting');
    expect(t.cat.pointTotals().vms).toBe(1);
    t.cat.deletePoint('c');
    t.cat.deletePoint('d');
    t.cat.setDamaged(['a'], true);
    t.cat.recordRetention('a', T0 + 9 * DAY, T0, 'test');
    expect(t.cat.pointTotals()).toEqual(scanned(t.cat));
    t.cat.deletePoint('a');
    t.cat.deletePoint('b');
    expect(t.cat.pointTotals()).toEqual({ points: 0, vms: 0, logicalBytes: 0, dataBytes: 0, newChunks: 0, newStoredBytes: 0 });
  });

  it('counts the points a catalog held before the totals existed', async () => {
    const path = join(t.dir, 'old.db');
    const old = openCatalog(path);
    old.bulkInsert([point('x', 'vm-1', T0, 2), point('y', 'vm-2', T0, 3), point('z', 'vm-2', T0, 5, 'pending')]);
    old.close();
    // As a catalog of schema version 1 would be: no totals, and the points already there.
    const raw = new Database(path);
    raw.exec(
      'DROP TRIGGER repo_totals_insert; DROP TRIGGER repo_totals_delete; DROP TRIGGER repo_totals_update_old; DROP TRIGGER repo_totals_update_new; DROP TABLE repo_totals; DROP TABLE repo_vm_totals',
    );
    raw.pragma('user_version = 1');
    raw.close();
    const reopened = openCatalog(path);
    try {
      expect(reopened.pointTotals()).toEqual({ points: 2, vms: 2, logicalBytes: 5000, dataBytes: 500, newChunks: 5, newStoredBytes: 50 });
    } finally {
      reopened.close();
    }
  });

  it('groups committed points by UTC day from a given time, oldest first', () => {
    t.cat.bulkInsert([
      point('old', 'vm-1', T0 - 3 * DAY, 9),
      point('d0a', 'vm-1', T0, 1),
      point('d0b', 'vm-2', T0 + DAY - 1, 2),
      point('d2', 'vm-1', T0 + 2 * DAY + 5, 4),
      point('d2p', 'vm-1', T0 + 2 * DAY + 6, 8, 'pending'),
    ]);
    expect(t.cat.pointTotalsByDay(T0)).toEqual([
      { dayStart: T0, points: 2, newChunks: 3, newStoredBytes: 30 },
      { dayStart: T0 + 2 * DAY, points: 1, newChunks: 4, newStoredBytes: 40 },
    ]);
    expect(t.cat.explain("SELECT COUNT(*) FROM repo_points WHERE state = 'committed' AND created_at >= ?", T0).join(' | ')).toContain('repo_points_by_state');
  });
});
