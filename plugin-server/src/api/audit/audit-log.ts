/**
 * The audit log: one record per mutating API call, whether it succeeded, failed or was refused,
 * in the table `audit_event` of the server's database (schema component "audit"). A record names
 * who (the vCenter user of the cloned session), what (action and object), when, how it ended
 * (an error code for failures) and the request id the user was given. It never holds tokens,
 * request bodies or other secrets: callers pass only ids and names in `details`.
 *
 * Requests to the site listener from other sites (pairing, refused certificates) are recorded
 * with no user and no vCenter: they belong to the whole server, and every vCenter's
 * administrators see them.
 *
 * Records are only ever appended; nothing in Lifeline updates or deletes them.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ValidationError } from '../../errors/index.js';
import { migrateComponent, type Database, type Migration } from '../../jobs/index.js';
import type { Clock } from '../../domain/index.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE audit_event (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          user_name TEXT,
          vcenter_guid TEXT,
          action TEXT NOT NULL,
          object TEXT,
          outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
          status INTEGER NOT NULL,
          error_code TEXT,
          request_id TEXT NOT NULL,
          details TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_event_by_user ON audit_event (user_name, seq);
        CREATE INDEX audit_event_by_object ON audit_event (object, seq);
        CREATE INDEX audit_event_by_action ON audit_event (action, seq);
      `);
    },
  },
];

export type AuditOutcome = 'success' | 'failure';

export interface NewAuditRecord {
  /** The vCenter user, or null when the caller could not be identified. */
  readonly user: string | null;
  readonly vcenterGuid: string | null;
  /** e.g. 'policy.create', 'protection.assign', 'job.cancel'. */
  readonly action: string;
  /** e.g. 'policy:<id>', 'vm:<vcenter guid>:vm-42', 'job:<id>'; null when there is none yet. */
  readonly object: string | null;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly errorCode: string | null;
  readonly requestId: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditRecord extends NewAuditRecord {
  readonly id: number;
  readonly at: string;
}

export interface AuditQuery {
  /** Only records of this vCenter (lower case). */
  readonly vcenterGuid?: string;
  /** With vcenterGuid: the server-wide records too (those of no vCenter: the site listener's). */
  readonly serverWide?: boolean;
  readonly user?: string;
  readonly object?: string;
  readonly action?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface AuditLog {
  append(record: NewAuditRecord): AuditRecord;
  /** Newest first, with the number of records matching the filters. */
  list(query: AuditQuery): { items: AuditRecord[]; total: number };
}

interface Row {
  seq: number;
  at: number;
  user_name: string | null;
  vcenter_guid: string | null;
  action: string;
  object: string | null;
  outcome: AuditOutcome;
  status: number;
  error_code: string | null;
  request_id: string;
  details: string;
}

const MAX_DETAIL_TEXT = 500;

export class SqliteAuditLog implements AuditLog {
  private readonly insert: BetterSqlite3.Statement;

  constructor(private readonly db: Database, private readonly clock: Pick<Clock, 'now'>) {
    migrateComponent(db, 'audit', MIGRATIONS);
    this.insert = db.prepare(
      `INSERT INTO audit_event (at, user_name, vcenter_guid, action, object, outcome, status, error_code, request_id, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  append(r: NewAuditRecord): AuditRecord {
    const at = this.clock.now();
    // Bounded so a long name in a request cannot bloat the log; ids and names are all it holds.
    const details = Object.fromEntries(
      Object.entries(r.details).map(([k, v]) => [k, typeof v === 'string' && v.length > MAX_DETAIL_TEXT ? `${v.slice(0, MAX_DETAIL_TEXT)}…` : v]),
    );
    const info = this.insert.run(at, r.user, r.vcenterGuid, r.action, r.object, r.outcome, r.status, r.errorCode, r.requestId, JSON.stringify(details));
    return { ...r, details, id: Number(info.lastInsertRowid), at: new Date(at).toISOString() };
  }

  list(q: AuditQuery): { items: AuditRecord[]; total: number } {
    if (!Number.isSafeInteger(q.offset) || q.offset < 0) throw new ValidationError('offset must be a non-negative integer', { parameter: 'offset' });
    const where: string[] = [];
    const values: string[] = [];
    if (q.vcenterGuid !== undefined) {
      where.push(q.serverWide === true ? '(vcenter_guid = ? OR vcenter_guid IS NULL)' : 'vcenter_guid = ?');
      values.push(q.vcenterGuid);
    }
    if (q.user !== undefined) {
      // vCenter user names are case-insensitive (DOMAIN\\user, user@domain).
      where.push('user_name = ? COLLATE NOCASE');
      values.push(q.user);
    }
    if (q.object !== undefined) {
      where.push('object = ?');
      values.push(q.object);
    }
    if (q.action !== undefined) {
      where.push('action = ?');
      values.push(q.action);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const read = this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT * FROM audit_event ${filter} ORDER BY seq DESC LIMIT ? OFFSET ?`).all(...values, q.limit, q.offset) as Row[];
      const { n } = this.db.prepare(`SELECT count(*) AS n FROM audit_event ${filter}`).get(...values) as { n: number };
      return { items: rows.map(toRecord), total: n };
    });
    return read();
  }
}

function toRecord(r: Row): AuditRecord {
  return {
    id: r.seq,
    at: new Date(r.at).toISOString(),
    user: r.user_name,
    vcenterGuid: r.vcenter_guid,
    action: r.action,
    object: r.object,
    outcome: r.outcome,
    status: r.status,
    errorCode: r.error_code,
    requestId: r.request_id,
    details: JSON.parse(r.details) as AuditRecord['details'],
  };
}
