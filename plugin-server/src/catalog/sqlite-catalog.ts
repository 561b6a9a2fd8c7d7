/**
 * The catalog in SQLite through better-sqlite3: WAL journal (readers never block the one writer),
 * foreign keys on, a busy timeout so several Lifeline processes can share one repository, and
 * versioned migrations (migrations.ts) that leave other components' tables in the file alone.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import type {
  Catalog,
  DamageRow,
  DayTotals,
  DiskRow,
  PointQuery,
  PointRow,
  PointState,
  PointTotals,
  RunKind,
  RunRow,
  WriterRow,
} from './catalog-type.js';
import { MIGRATIONS } from './migrations.js';

const DAY_MS = 86_400_000;

interface PointRecord {
  id: string;
  vm_id: string;
  vm_name: string;
  state: PointState;
  consistency: 'application' | 'crash';
  created_at: number;
  retain_until: number;
  parent_id: string | null;
  damaged: number;
  logical_bytes: number;
  data_bytes: number;
  read_bytes: number;
  new_chunks: number;
  new_stored_bytes: number;
}

const POINT_COLUMNS =
  'id, vm_id, vm_name, state, consistency, created_at, retain_until, parent_id, damaged, logical_bytes, data_bytes, read_bytes, new_chunks, new_stored_bytes';

/**
 * Newest first; points of one VM created in the same millisecond in the order they were added
 * (rowid), so the list and "latest" always agree and both come straight from repo_points_by_vm.
 */
const NEWEST_FIRST = 'created_at DESC, rowid DESC';
/** The statements behind listVmPoints and latestPoint, exported for their query-plan tests. */
export const VM_POINTS_SQL = `SELECT ${POINT_COLUMNS} FROM repo_points WHERE vm_id = ? AND state = 'committed' ORDER BY ${NEWEST_FIRST} LIMIT ? OFFSET ?`;
export const LATEST_POINT_SQL = `SELECT ${POINT_COLUMNS} FROM repo_points WHERE vm_id = ? AND state = 'committed' ORDER BY ${NEWEST_FIRST} LIMIT 1`;

function toPoint(r: PointRecord): PointRow {
  return {
    id: r.id,
    vmId: r.vm_id,
    vmName: r.vm_name,
    state: r.state,
    consistency: r.consistency,
    createdAt: r.created_at,
    retainUntil: r.retain_until,
    parentId: r.parent_id,
    damaged: r.damaged !== 0,
    logicalBytes: r.logical_bytes,
    dataBytes: r.data_bytes,
    readBytes: r.read_bytes,
    newChunks: r.new_chunks,
    newStoredBytes: r.new_stored_bytes,
  };
}

export interface OpenCatalogOptions {
  /** Open without creating or migrating (for tools that must not change a repository). */
  readonly?: boolean;
}

/**
 * The catalog names VMs and their restore points in clear: its file is readable by Lifeline's user
 * only. Made 0600 before SQLite first opens it (SQLite gives its -wal and -shm files the database
 * file's mode), and brought back to 0600 if it was opened up since.
 */
function restrictCatalogFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (file !== path && !existsSync(file)) continue;
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

/** The catalog connection's SQLite page cache, at most, in KiB (part of the server's memory bound). */
export const CATALOG_CACHE_KIB = 65536;

export function openCatalog(path: string, opts: OpenCatalogOptions = {}): SqliteCatalog {
  if (!opts.readonly) restrictCatalogFile(path);
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  try {
    db.pragma('busy_timeout = 10000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    // Large enough that listing and bulk work on a million points stays in memory.
    db.pragma(`cache_size = -${CATALOG_CACHE_KIB}`);
    if (!opts.readonly) migrate(db);
    else checkVersion(db.pragma('user_version', { simple: true }) as number, true);
    return new SqliteCatalog(db, path);
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    // Read inside the write transaction, so two processes opening one file cannot both migrate.
    const current = db.pragma('user_version', { simple: true }) as number;
    checkVersion(current, false);
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] ?? '');
    if (current !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** A schema this Lifeline cannot use: newer than it knows, or (read-only, so not migrated) older. */
function checkVersion(current: number, readonly: boolean): void {
  if (current > MIGRATIONS.length) {
    throw new LifelineError('catalog-too-new', `the repository catalog has schema version ${current}; this Lifeline knows up to ${MIGRATIONS.length}`);
  }
  if (readonly && current < MIGRATIONS.length) {
    throw new LifelineError(
      'catalog-too-old',
      `the repository catalog has schema version ${current}; open it once for writing to upgrade it to version ${MIGRATIONS.length}`,
    );
  }
}

export class SqliteCatalog implements Catalog {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.stmts = {
      insertPoint: db.prepare(
        `INSERT INTO repo_points (${POINT_COLUMNS}) VALUES (@id, @vm_id, @vm_name, @state, @consistency, @created_at, @retain_until, @parent_id, @damaged, @logical_bytes, @data_bytes, @read_bytes, @new_chunks, @new_stored_bytes)`,
      ),
      setState: db.prepare('UPDATE repo_points SET state = ? WHERE id = ?'),
      stats: db.prepare(
        'UPDATE repo_points SET logical_bytes = @logicalBytes, data_bytes = @dataBytes, read_bytes = @readBytes, new_chunks = @newChunks, new_stored_bytes = @newStoredBytes WHERE id = @id',
      ),
      getPoint: db.prepare(`SELECT ${POINT_COLUMNS} FROM repo_points WHERE id = ?`),
      vmPoints: db.prepare(VM_POINTS_SQL),
      countVmPoints: db.prepare("SELECT COUNT(*) AS n FROM repo_points WHERE vm_id = ? AND state = 'committed'"),
      latest: db.prepare(LATEST_POINT_SQL),
      disks: db.prepare('SELECT point_id, disk, label, capacity, chunk_size, index_key, index_sha256, change_id FROM repo_disks WHERE point_id = ? ORDER BY disk'),
      deleteDisks: db.prepare('DELETE FROM repo_disks WHERE point_id = ?'),
      insertDisk: db.prepare(
        'INSERT INTO repo_disks (point_id, disk, label, capacity, chunk_size, index_key, index_sha256, change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deletePoint: db.prepare('DELETE FROM repo_points WHERE id = ?'),
      totals: db.prepare('SELECT points, logical_bytes, data_bytes, new_chunks, new_stored_bytes FROM repo_totals WHERE id = 1'),
      vmTotals: db.prepare('SELECT COUNT(*) AS n FROM repo_vm_totals'),
      // Integer division of a non-negative time by a literal (a bound number would be a REAL): the UTC day number.
      byDay: db.prepare(
        `SELECT created_at / ${DAY_MS} AS day, COUNT(*) AS points, SUM(new_chunks) AS new_chunks, SUM(new_stored_bytes) AS new_stored_bytes FROM repo_points WHERE state = 'committed' AND created_at >= ? GROUP BY day ORDER BY day`,
      ),
      retention: db.prepare('INSERT INTO repo_retention_log (point_id, retain_until, set_at, reason) VALUES (?, ?, ?, ?)'),
      raiseRetention: db.prepare('UPDATE repo_points SET retain_until = MAX(retain_until, ?) WHERE id = ?'),
      setDamaged: db.prepare('UPDATE repo_points SET damaged = ? WHERE id = ?'),
      insertWriter: db.prepare('INSERT INTO repo_writers (id, owner, point_id, vm_id, base_id, started_at) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteWriter: db.prepare('DELETE FROM repo_writers WHERE id = ?'),
      writers: db.prepare('SELECT id, owner, point_id, vm_id, base_id, started_at FROM repo_writers ORDER BY started_at'),
      getMaint: db.prepare('SELECT owner, started_at FROM repo_maintenance WHERE name = ?'),
      putMaint: db.prepare('INSERT OR REPLACE INTO repo_maintenance (name, owner, started_at) VALUES (?, ?, ?)'),
      delMaint: db.prepare('DELETE FROM repo_maintenance WHERE name = ? AND owner = ?'),
      startRun: db.prepare('INSERT INTO repo_runs (kind, started_at) VALUES (?, ?)'),
      finishRun: db.prepare('UPDATE repo_runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?'),
      lastRun: db.prepare('SELECT id, kind, started_at, finished_at, outcome, summary FROM repo_runs WHERE kind = ? ORDER BY id DESC LIMIT 1'),
      insertDamage: db.prepare(
        'INSERT INTO repo_damaged_chunks (digest, problem, detail, found_at, run_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET problem = excluded.problem, detail = excluded.detail, found_at = excluded.found_at, run_id = excluded.run_id',
      ),
      insertPointDamage: db.prepare('INSERT OR IGNORE INTO repo_point_damage (point_id, digest) VALUES (?, ?)'),
      markDamaged: db.prepare('UPDATE repo_points SET damaged = 1 WHERE id = ?'),
      clearHealed: db.prepare('UPDATE repo_points SET damaged = 0 WHERE id = @id AND damaged = 1 AND NOT EXISTS (SELECT 1 FROM repo_point_damage WHERE point_id = @id)'),
      deleteDamage: db.prepare('DELETE FROM repo_damaged_chunks WHERE digest = ?'),
      deletePointDamage: db.prepare('DELETE FROM repo_point_damage WHERE digest = ?'),
      listDamage: db.prepare('SELECT digest, problem, detail, found_at FROM repo_damaged_chunks ORDER BY digest'),
      getMeta: db.prepare('SELECT value FROM repo_meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO repo_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  insertPoint(p: PointRow): void {
    this.stmts.insertPoint.run({
      id: p.id,
      vm_id: p.vmId,
      vm_name: p.vmName,
      state: p.state,
      consistency: p.consistency,
      created_at: p.createdAt,
      retain_until: p.retainUntil,
      parent_id: p.parentId,
      damaged: p.damaged ? 1 : 0,
      logical_bytes: p.logicalBytes,
      data_bytes: p.dataBytes,
      read_bytes: p.readBytes,
      new_chunks: p.newChunks,
      new_stored_bytes: p.newStoredBytes,
    });
  }

  setPointState(id: string, state: PointState): void {
    this.stmts.setState.run(state, id);
  }

  updatePointStats(id: string, s: Pick<PointRow, 'logicalBytes' | 'dataBytes' | 'readBytes' | 'newChunks' | 'newStoredBytes'>): void {
    this.stmts.stats.run({ id, ...s });
  }

  replaceDisks(pointId: string, disks: readonly DiskRow[]): void {
    this.transaction(() => {
      this.stmts.deleteDisks.run(pointId);
      for (const d of disks) {
        this.stmts.insertDisk.run(pointId, d.disk, d.label, d.capacity, d.chunkSize, d.indexKey, d.indexSha256, d.changeId);
      }
    });
  }

  getPoint(id: string): PointRow | undefined {
    const r = this.stmts.getPoint.get(id) as PointRecord | undefined;
    return r && toPoint(r);
  }

  listPoints(q: PointQuery = {}): PointRow[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (q.vmId !== undefined) {
      where.push('vm_id = ?');
      args.push(q.vmId);
    }
    const states = q.states ?? ['committed'];
    where.push(`state IN (${states.map(() => '?').join(', ')})`);
    args.push(...states);
    if (q.before !== undefined) {
      where.push('created_at < ?');
      args.push(q.before);
    }
    const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
    const sql = `SELECT ${POINT_COLUMNS} FROM repo_points WHERE ${where.join(' AND ')} ORDER BY ${NEWEST_FIRST}${limit}`;
    return (this.db.prepare(sql).all(...args) as PointRecord[]).map(toPoint);
  }

  listVmPoints(vmId: string, page: { offset: number; limit: number }): { items: PointRow[]; total: number } {
    // One read transaction, so the page and the total agree while a backup commits.
    return this.db.transaction(() => ({
      items: (this.stmts.vmPoints.all(vmId, page.limit, page.offset) as PointRecord[]).map(toPoint),
      total: (this.stmts.countVmPoints.get(vmId) as { n: number }).n,
    })).deferred();
  }

  latestPoint(vmId: string): PointRow | undefined {
    const r = this.stmts.latest.get(vmId) as PointRecord | undefined;
    return r && toPoint(r);
  }

  pointDisks(pointId: string): DiskRow[] {
    return (
      this.stmts.disks.all(pointId) as Array<{
        point_id: string;
        disk: number;
        label: string;
        capacity: number;
        chunk_size: number;
        index_key: string;
        index_sha256: string;
        change_id: string | null;
      }>
    ).map((r) => ({
      pointId: r.point_id,
      disk: r.disk,
      label: r.label,
      capacity: r.capacity,
      chunkSize: r.chunk_size,
      indexKey: r.index_key,
      indexSha256: r.index_sha256,
      changeId: r.change_id,
    }));
  }

  countPoints(states: readonly PointState[] = ['committed']): number {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM repo_points WHERE state IN (${states.map(() => '?').join(', ')})`).get(...states) as { n: number };
    return row.n;
  }

  pointTotals(): PointTotals {
    const t = this.stmts.totals.get() as { points: number; logical_bytes: number; data_bytes: number; new_chunks: number; new_stored_bytes: number } | undefined;
    const vms = (this.stmts.vmTotals.get() as { n: number }).n;
    return {
      points: t?.points ?? 0,
      vms,
      logicalBytes: t?.logical_bytes ?? 0,
      dataBytes: t?.data_bytes ?? 0,
      newChunks: t?.new_chunks ?? 0,
      newStoredBytes: t?.new_stored_bytes ?? 0,
    };
  }

  pointTotalsByDay(since: number): DayTotals[] {
    const rows = this.stmts.byDay.all(since) as Array<{ day: number; points: number; new_chunks: number; new_stored_bytes: number }>;
    return rows.map((r) => ({ dayStart: r.day * DAY_MS, points: r.points, newChunks: r.new_chunks, newStoredBytes: r.new_stored_bytes }));
  }

  deletePoint(id: string): void {
    this.stmts.deletePoint.run(id);
  }

  recordRetention(pointId: string, retainUntil: number, at: number, reason: string): void {
    this.transaction(() => {
      this.stmts.retention.run(pointId, retainUntil, at, reason);
      this.stmts.raiseRetention.run(retainUntil, pointId);
    });
  }

  setDamaged(pointIds: readonly string[], damaged: boolean): void {
    this.transaction(() => {
      for (const id of pointIds) this.stmts.setDamaged.run(damaged ? 1 : 0, id);
    });
  }

  registerWriter(w: WriterRow): void {
    this.stmts.insertWriter.run(w.id, w.owner, w.pointId, w.vmId, w.baseId, w.startedAt);
  }

  removeWriter(id: string): void {
    this.stmts.deleteWriter.run(id);
  }

  listWriters(): WriterRow[] {
    return (
      this.stmts.writers.all() as Array<{ id: string; owner: string; point_id: string; vm_id: string; base_id: string | null; started_at: number }>
    ).map((r) => ({ id: r.id, owner: r.owner, pointId: r.point_id, vmId: r.vm_id, baseId: r.base_id, startedAt: r.started_at }));
  }

  tryTakeMaintenance(name: string, owner: string, at: number, isAlive: (owner: string) => boolean): { taken: true } | { taken: false; holder: string; since: number } {
    return this.transaction(() => {
      const held = this.stmts.getMaint.get(name) as { owner: string; started_at: number } | undefined;
      // Held by this very process too: two jobs of one server (two object copies' collections of one
      // copy) must not run at once any more than two processes, and the first to end would release it.
      if (held && isAlive(held.owner)) return { taken: false as const, holder: held.owner, since: held.started_at };
      this.stmts.putMaint.run(name, owner, at);
      return { taken: true as const };
    });
  }

  releaseMaintenance(name: string, owner: string): void {
    this.stmts.delMaint.run(name, owner);
  }

  startRun(kind: RunKind, at: number): number {
    return Number(this.stmts.startRun.run(kind, at).lastInsertRowid);
  }

  finishRun(id: number, at: number, outcome: string, summary: Record<string, unknown>): void {
    this.stmts.finishRun.run(at, outcome, JSON.stringify(summary), id);
  }

  lastRun(kind: RunKind): RunRow | undefined {
    const r = this.stmts.lastRun.get(kind) as
      | { id: number; kind: RunKind; started_at: number; finished_at: number | null; outcome: string | null; summary: string | null }
      | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      kind: r.kind,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      outcome: r.outcome,
      summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
    };
  }

  recordDamage(rows: readonly DamageRow[], runId: number | null, pointsByDigest: ReadonlyMap<string, readonly string[]>): void {
    this.transaction(() => {
      for (const d of rows) {
        this.stmts.insertDamage.run(d.digest, d.problem, d.detail, d.foundAt, runId);
        for (const p of pointsByDigest.get(d.digest) ?? []) {
          this.stmts.insertPointDamage.run(p, d.digest);
          this.stmts.markDamaged.run(p);
        }
      }
    });
  }

  clearDamage(digests: readonly string[]): void {
    this.transaction(() => {
      for (const d of digests) {
        this.stmts.deleteDamage.run(d);
        this.stmts.deletePointDamage.run(d);
      }
    });
  }

  clearHealedPoints(pointIds: readonly string[]): string[] {
    return this.transaction(() => pointIds.filter((id) => this.stmts.clearHealed.run({ id }).changes > 0));
  }

  listDamage(): DamageRow[] {
    return (this.stmts.listDamage.all() as Array<{ digest: string; problem: 'corrupt' | 'missing'; detail: string; found_at: number }>).map((r) => ({
      digest: r.digest,
      problem: r.problem,
      detail: r.detail,
      foundAt: r.found_at,
    }));
  }

  highWater(): number {
    return Number(this.getMeta('high_water_ms') ?? 0);
  }

  recordTime(at: number): void {
    this.transaction(() => {
      if (at > this.highWater()) this.setMeta('high_water_ms', String(Math.floor(at)));
    });
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  close(): void {
    this.db.close();
  }

  /** For the catalog's own tests: the plan SQLite picks for a statement. */
  explain(sql: string, ...args: Array<string | number>): string[] {
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail);
  }

  /** For the catalog's own tests: bulk insertion of synthetic points in one transaction. */
  bulkInsert(rows: Iterable<PointRow>): void {
    const stmt = this.db.prepare(`INSERT INTO repo_points (${POINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.transaction(() => {
      for (const p of rows) {
        stmt.run(p.id, p.vmId, p.vmName, p.state, p.consistency, p.createdAt, p.retainUntil, p.parentId, p.damaged ? 1 : 0, p.logicalBytes, p.dataBytes, p.readBytes, p.newChunks, p.newStoredBytes);
      }
    });
  }
}


