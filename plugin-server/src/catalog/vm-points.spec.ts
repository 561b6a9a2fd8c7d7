import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type SqliteCatalog } from './sqlite-catalog.js';
import type { PointRow } from './catalog-type.js';

function point(id: string, vmId: string, createdAt: number, state: PointRow['state'] = 'committed'): PointRow {
  return {
    id,
    vmId,
    vmName: vmId,
    state,
    consistency: 'crash',
    createdAt,
    retainUntil: createdAt + 86_400_000,
    parentId: null,
    damaged: false,
    logicalBytes: 0,
    dataBytes: 0,
    readBytes: 0,
    newChunks: 0,
    newStoredBytes: 0,
  };
}

describe('SQLite catalog: a page of a VM’s points', () => {
  let dir: string;
  let cat: SqliteCatalog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-vm-points-'));
    cat = openCatalog(join(dir, 'catalog.db'));
  });
  afterEach(async () => {
    cat.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pages newest first with the total, counting only committed points of that VM', () => {
    cat.bulkInsert(
      (function* () {
        for (let i = 0; i < 3000; i++) yield point(`p${String(i).padStart(5, '0')}`, `vm-${i % 3}`, 1_700_000_000_000 + Math.floor(i / 6) * 1000);
        yield point('pending', 'vm-0', 1_800_000_000_000, 'pending');
        yield point('deleting', 'vm-0', 1_800_000_000_000, 'deleting');
      })(),
    );
    const first = cat.listVmPoints('vm-0', { offset: 0, limit: 4 });
    expect(first.total).toBe(1000);
    // Two points of vm-0 share each second: the id breaks the tie, newest first.
    expect(first.items.map((p) => p.id)).toEqual(['p02997', 'p02994', 'p02991', 'p02988']);
    const last = cat.listVmPoints('vm-0', { offset: 998, limit: 10 });
    expect(last.items.map((p) => p.id)).toEqual(['p00003', 'p00000']);
    expect(last.total).toBe(1000);
    expect(cat.listVmPoints('vm-9', { offset: 0, limit: 10 })).toEqual({ items: [], total: 0 });
  });

  it('answers both from the by-VM index', () => {
    const page = "SELECT * FROM repo_points WHERE vm_id = ? AND state = 'committed' ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 0";
    const count = "SELECT COUNT(*) AS n FROM repo_points WHERE vm_id = ? AND state = 'committed'";
    for (const sql of [page, count]) expect(cat.explain(sql, 'vm-1').join(' | ')).withContext(sql).toContain('repo_points_by_vm');
  });
});
