import { point, useTempCatalog } from './testing.js';

describe('SQLite catalog: a page of a VM’s points', () => {
  const t = useTempCatalog();

  it('pages newest first with the total, counting only committed points of that VM', () => {
    t.cat.bulkInsert(
      (function* () {
        for (let i = 0; i < 3000; i++) yield point(`p${String(i).padStart(5, '0')}`, `vm-${i % 3}`, 1_700_000_000_000 + Math.floor(i / 6) * 1000);
        yield point('pending', 'vm-0', 1_800_000_000_000, { state: 'pending' });
        yield point('deleting', 'vm-0', 1_800_000_000_000, { state: 'deleting' });
      })(),
    );
    const first = t.cat.listVmPoints('vm-0', { offset: 0, limit: 4 });
    expect(first.total).toBe(1000);
    // Two points of vm-0 share each second: the id breaks the tie, newest first.
    expect(first.items.map((p) => p.id)).toEqual(['p02997', 'p02994', 'p02991', 'p02988']);
    const last = t.cat.listVmPoints('vm-0', { offset: 998, limit: 10 });
    expect(last.items.map((p) => p.id)).toEqual(['p00003', 'p00000']);
    expect(last.total).toBe(1000);
    expect(t.cat.listVmPoints('vm-9', { offset: 0, limit: 10 })).toEqual({ items: [], total: 0 });
  });

  it('answers both from the by-VM index', () => {
    const page = "SELECT * FROM repo_points WHERE vm_id = ? AND state = 'committed' ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 0";
    const count = "SELECT COUNT(*) AS n FROM repo_points WHERE vm_id = ? AND state = 'committed'";
    for (const sql of [page, count]) expect(t.cat.explain(sql, 'vm-1').join(' | ')).withContext(sql).toContain('repo_points_by_vm');
  });
});
