/**
 * The SQLite JobStore: tables `jobs_job`, `jobs_log` and `jobs_event_seq` in the shared catalog
 * database (schema component "jobs"). Satisfies the contract in job-store-type.ts.
 *
 * One active job per target is enforced by a partial unique index, not only by the runner, so the
 * rule holds even if two processes ever open the same catalog.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { migrateComponent, type Database, type Migration } from './component-schema.js';
import { JobBusyError, JOB_STATES, targetKey, type CleanupState, type JobLogLine, type JobPhase, type JobRecord, type JobState, type JobTarget, type LogLevel } from './job.js';
import type { JobPage, JobPatch, JobQuery, JobStore, LogBounds, NewJob } from './job-store-type.js';

const HOLDS_TARGET = "(state IN ('queued', 'running') OR cleanup IN ('pending', 'running'))";

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE jobs_job (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL,
          target_type TEXT NOT NULL,
          target_id TEXT NOT NULL,
          target_vcenter TEXT,
          target_key TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN (${JOB_STATES.map((s) => `'${s}'`).join(', ')})),
          priority INTEGER NOT NULL,
          params TEXT NOT NULL,
          limit_keys TEXT NOT NULL,
          phase TEXT,
          phases TEXT NOT NULL DEFAULT '[]',
          bytes_done INTEGER NOT NULL DEFAULT 0,
          bytes_total INTEGER,
          rate_bps REAL,
          eta_seconds REAL,
          checkpoint TEXT,
          result TEXT,
          attempt INTEGER NOT NULL DEFAULT 0,
          max_attempts INTEGER NOT NULL,
          next_attempt_at INTEGER,
          cancel_requested INTEGER NOT NULL DEFAULT 0,
          error_code TEXT,
          error_message TEXT,
          cleanup TEXT NOT NULL DEFAULT 'none' CHECK (cleanup IN ('none', 'pending', 'running', 'done', 'failed')),
          requested_by TEXT,
          log_lines INTEGER NOT NULL DEFAULT 0,
          log_dropped INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          started_at INTEGER,
          updated_at INTEGER NOT NULL,
          finished_at INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX jobs_job_one_active_per_target ON jobs_job (target_key) WHERE ${HOLDS_TARGET};
        -- The runner and the scheduler list active jobs every few seconds; history must not slow that down.
        CREATE INDEX jobs_job_active ON jobs_job (seq) WHERE ${HOLDS_TARGET};
        CREATE INDEX jobs_job_history ON jobs_job (target_key, seq);
        CREATE INDEX jobs_job_by_state ON jobs_job (state, priority, seq);
        CREATE TABLE jobs_log (
          job_id TEXT NOT NULL,
          line INTEGER NOT NULL,
          at INTEGER NOT NULL,
          level TEXT NOT NULL,
          message TEXT NOT NULL,
          PRIMARY KEY (job_id, line)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE jobs_event_seq (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          reserved INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    // Scheduled backups queue with the time their VM's RPO runs out; the queue is served in that
    // order (earliest deadline first) within a priority, so the VM closest to violating goes next.
    version: 2,
    up(db) {
      db.exec(`
        ALTER TABLE jobs_job ADD COLUMN deadline_at INTEGER;
        ALTER TABLE jobs_job ADD COLUMN yields INTEGER NOT NULL DEFAULT 0;
        DROP INDEX jobs_job_by_state;
        CREATE INDEX jobs_job_by_state ON jobs_job (state, priority, deadline_at, seq);
      `);
    },
  },
  {
    // A target holds one active job per lane (JobHandler.lane): replications take a lane of their
    // own beside backups and restores. Jobs stored before are in the default lane ''.
    version: 3,
    up(db) {
      db.exec(`
        ALTER TABLE jobs_job ADD COLUMN lane TEXT NOT NULL DEFAULT '';
        DROP INDEX jobs_job_one_active_per_target;
        CREATE UNIQUE INDEX jobs_job_one_active_per_target ON jobs_job (target_key, lane) WHERE ${HOLDS_TARGET};
      `);
    },
  },
];

interface JobRow {
  seq: number;
  id: string;
  kind: string;
  target_type: string;
  target_id: string;
  target_vcenter: string | null;
  state: JobState;
  priority: number;
  params: string;
  limit_keys: string;
  phase: string | null;
  phases: string;
  bytes_done: number;
  bytes_total: number | null;
  rate_bps: number | null;
  eta_seconds: number | null;
  checkpoint: string | null;
  result: string | null;
  attempt: number;
  max_attempts: number;
  next_attempt_at: number | null;
  cancel_requested: number;
  error_code: string | null;
  error_message: string | null;
  cleanup: CleanupState;
  requested_by: string | null;
  log_lines: number;
  log_dropped: number;
  created_at: number;
  started_at: number | null;
  updated_at: number;
  finished_at: number | null;
  deadline_at: number | null;
  yields: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const encode = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
const decode = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown));

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    target: { type: r.target_type, id: r.target_id, vcenterGuid: r.target_vcenter },
    state: r.state,
    priority: r.priority,
    params: decode(r.params),
    limitKeys: JSON.parse(r.limit_keys) as string[],
    phase: r.phase,
    phases: JSON.parse(r.phases) as JobPhase[],
    progress: { bytesDone: r.bytes_done, bytesTotal: r.bytes_total, rateBytesPerSecond: r.rate_bps, etaSeconds: r.eta_seconds },
    checkpoint: decode(r.checkpoint),
    result: decode(r.result),
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    nextAttemptAt: isoOrNull(r.next_attempt_at),
    cancelRequested: r.cancel_requested === 1,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
    cleanup: r.cleanup,
    requestedBy: r.requested_by,
    log: { lines: r.log_lines, dropped: r.log_dropped },
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    updatedAt: iso(r.updated_at),
    finishedAt: isoOrNull(r.finished_at),
    deadline: isoOrNull(r.deadline_at),
    yieldsWhileQueued: r.yields === 1,
  };
}

export class SqliteJobStore implements JobStore {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: Database) {
    migrateComponent(db, 'jobs', MIGRATIONS);
  }

  insert(job: NewJob): JobRecord {
    const key = targetKey(job.target);
    const run = this.db.transaction(() => {
      const busy = this.activeForTarget(job.target, job.lane ?? '');
      if (busy) throw new JobBusyError(busy, job.target);
      this.sql(
          `INSERT INTO jobs_job (id, kind, target_type, target_id, target_vcenter, target_key, state, priority, params, limit_keys,
             max_attempts, requested_by, created_at, updated_at, deadline_at, yields, lane)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(job.id, job.kind, job.target.type, job.target.id, job.target.vcenterGuid, key, job.priority, JSON.stringify(job.params ?? null),
          JSON.stringify(job.limitKeys), job.maxAttempts, job.requestedBy, job.createdAt, job.createdAt, job.deadline ?? null, job.yieldsWhileQueued ? 1 : 0, job.lane ?? '');
      return this.mustGet(job.id);
    });
    return run.immediate();
  }

  get(id: string): JobRecord | undefined {
    const row = this.sql('SELECT * FROM jobs_job WHERE id = ?').get(id) as JobRow | undefined;
    return row && toRecord(row);
  }

  activeForTarget(target: JobTarget, lane = ''): JobRecord | undefined {
    const row = this.sql(`SELECT * FROM jobs_job WHERE target_key = ? AND lane = ? AND ${HOLDS_TARGET}`).get(targetKey(target), lane) as JobRow | undefined;
    return row && toRecord(row);
  }

  listActive(lane?: string): JobRecord[] {
    if (lane !== undefined) return this.rows(`SELECT * FROM jobs_job WHERE lane = ? AND ${HOLDS_TARGET} ORDER BY seq`, lane);
    return this.rows(`SELECT * FROM jobs_job WHERE ${HOLDS_TARGET} ORDER BY seq`);
  }

  listQueued(): JobRecord[] {
    return this.rows("SELECT * FROM jobs_job WHERE state = 'queued' ORDER BY priority DESC, deadline_at IS NULL, deadline_at, seq");
  }

  listByState(state: JobState): JobRecord[] {
    return this.rows('SELECT * FROM jobs_job WHERE state = ? ORDER BY seq', state);
  }

  listCleanupDue(): JobRecord[] {
    return this.rows("SELECT * FROM jobs_job WHERE state = 'interrupted' AND cleanup IN ('pending', 'running') ORDER BY seq");
  }

  countQueued(): number {
    return (this.sql("SELECT count(*) AS n FROM jobs_job WHERE state = 'queued'").get() as { n: number }).n;
  }

  update(id: string, at: number, p: JobPatch): JobRecord {
    const sets: string[] = ['updated_at = ?'];
    const values: unknown[] = [at];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (p.state !== undefined) set('state', p.state);
    if (p.attempt !== undefined) set('attempt', p.attempt);
    if (p.nextAttemptAt !== undefined) set('next_attempt_at', p.nextAttemptAt);
    if (p.startedAt !== undefined) set('started_at', p.startedAt);
    if (p.finishedAt !== undefined) set('finished_at', p.finishedAt);
    if (p.phase !== undefined) set('phase', p.phase);
    if (p.phases !== undefined) set('phases', JSON.stringify(p.phases));
    if (p.bytesDone !== undefined) set('bytes_done', p.bytesDone);
    if (p.bytesTotal !== undefined) set('bytes_total', p.bytesTotal);
    if (p.rateBytesPerSecond !== undefined) set('rate_bps', p.rateBytesPerSecond);
    if (p.etaSeconds !== undefined) set('eta_seconds', p.etaSeconds);
    if (p.checkpoint !== undefined) set('checkpoint', encode(p.checkpoint));
    if (p.result !== undefined) set('result', encode(p.result));
    if (p.cancelRequested !== undefined) set('cancel_requested', p.cancelRequested ? 1 : 0);
    if (p.error !== undefined) {
      set('error_code', p.error?.code ?? null);
      set('error_message', p.error?.message ?? null);
    }
    if (p.cleanup !== undefined) set('cleanup', p.cleanup);
    values.push(id);
    this.sql(`UPDATE jobs_job SET ${sets.join(', ')} WHERE id = ?`).run(...values);
    return this.mustGet(id);
  }

  appendLog(id: string, at: number, level: LogLevel, message: string, bounds: LogBounds): number {
    const run = this.db.transaction(() => {
      const row = this.sql('UPDATE jobs_job SET log_lines = log_lines + 1 WHERE id = ? RETURNING log_lines').get(id) as { log_lines: number } | undefined;
      if (!row) return 0;
      const n = row.log_lines;
      this.sql('INSERT INTO jobs_log (job_id, line, at, level, message) VALUES (?, ?, ?, ?, ?)').run(id, n, at, level, message);
      if (n > bounds.head + bounds.tail) {
        // Keep how the job started and how it ended; the middle is what a long job repeats.
        this.sql('DELETE FROM jobs_log WHERE job_id = ? AND line = ?').run(id, n - bounds.tail);
        this.sql('UPDATE jobs_job SET log_dropped = log_dropped + 1 WHERE id = ?').run(id);
      }
      return n;
    });
    return run();
  }

  readLog(id: string, afterLine: number, limit: number): JobLogLine[] {
    const rows = this.sql('SELECT line, at, level, message FROM jobs_log WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?')
      .all(id, afterLine, limit) as { line: number; at: number; level: LogLevel; message: string }[];
    return rows.map((r) => ({ line: r.line, at: iso(r.at), level: r.level, message: r.message }));
  }

  list(q: JobQuery): JobPage {
    const limit = q.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ValidationError('limit must be an integer from 1 to 500', { field: 'limit' });
    const offset = q.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError('offset must be a non-negative integer', { field: 'offset' });
    const { where, values } = filterOf(q);
    if (q.cursor !== undefined) {
      if (!/^[1-9][0-9]{0,15}$/.test(q.cursor)) throw new ValidationError('cursor is not one this server handed out', { field: 'cursor' });
      where.push('seq < ?');
      values.push(Number(q.cursor));
    }
    const sql = `SELECT * FROM jobs_job ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ? OFFSET ?`;
    const rows = this.sql(sql).all(...values, limit + 1, offset) as JobRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toRecord), nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }

  count(q: Omit<JobQuery, 'limit' | 'cursor' | 'offset'>): number {
    const { where, values } = filterOf(q);
    const row = this.sql(`SELECT count(*) AS n FROM jobs_job ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(...values) as { n: number };
    return row.n;
  }

  recentDurations(target: JobTarget, kind: string, limit: number): number[] {
    const rows = this.sql(
        `SELECT finished_at - started_at AS d FROM jobs_job
         WHERE target_key = ? AND kind = ? AND state = 'succeeded' AND started_at IS NOT NULL AND finished_at IS NOT NULL
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(targetKey(target), kind, limit) as { d: number }[];
    return rows.map((r) => r.d);
  }

  pruneFinished(beforeMs: number): number {
    const run = this.db.transaction(() => {
      const done = `state IN ('succeeded', 'failed', 'cancelled', 'interrupted') AND cleanup NOT IN ('pending', 'running') AND finished_at < ?`;
      this.sql(`DELETE FROM jobs_log WHERE job_id IN (SELECT id FROM jobs_job WHERE ${done})`).run(beforeMs);
      return this.sql(`DELETE FROM jobs_job WHERE ${done}`).run(beforeMs).changes;
    });
    return run();
  }

  reserveEventSeqs(count: number): number {
    const run = this.db.transaction(() => {
      this.sql('INSERT OR IGNORE INTO jobs_event_seq (id, reserved) VALUES (1, 0)').run();
      const row = this.sql('UPDATE jobs_event_seq SET reserved = reserved + ? WHERE id = 1 RETURNING reserved').get(count) as { reserved: number };
      return row.reserved - count + 1;
    });
    return run.immediate();
  }

  private rows(sql: string, ...params: unknown[]): JobRecord[] {
    return (this.sql(sql).all(...params) as JobRow[]).map(toRecord);
  }

  private mustGet(id: string): JobRecord {
    const job = this.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`, { jobId: id });
    return job;
  }

  /** Prepared statements are compiled once per SQL text; the scheduler asks the same questions every few seconds. */
  private sql(text: string): BetterSqlite3.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }
}

function filterOf(q: Omit<JobQuery, 'limit' | 'cursor' | 'offset'>): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  if (q.target) {
    where.push('target_key = ?');
    values.push(targetKey(q.target));
  }
  if (q.visibleTo) {
    where.push(`((target_vcenter = ? AND (target_type <> 'VirtualMachine' OR target_key IN (SELECT value FROM json_each(?)))) OR (? = 1 AND target_vcenter IS NULL))`);
    values.push(q.visibleTo.vcenterGuid, JSON.stringify(q.visibleTo.vmKeys), q.visibleTo.unscoped ? 1 : 0);
  }
  if (q.kind !== undefined) {
    where.push('kind = ?');
    values.push(q.kind);
  }
  if (q.states && q.states.length > 0) {
    where.push(`state IN (${q.states.map(() => '?').join(', ')})`);
    values.push(...q.states);
  }
  return { where, values };
}
