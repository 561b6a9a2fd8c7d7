/**
 * The events outbox in the server's SQLite database: each event recorded once (a producer's
 * de-duplication key makes recording the same fact twice a no-op), and beside it one delivery row
 * per channel that wants it, which the dispatcher moves from `pending` to `delivered` or, after
 * its attempts, `dead`. Rows are written in the same transaction as the event, so an event is
 * never recorded without its deliveries, and a restart finds every unfinished delivery where it
 * was. Each attempt is kept in the delivery log, the administrator's view of what was sent.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Database, Migration } from '../jobs/index.js';
import { migrateComponent } from '../jobs/index.js';
import type { RandomBytes, TimeSource } from '../domain/index.js';
import { NotFoundError } from '../errors/index.js';
import { EVENT_TYPES, type LifelineEvent, type NewEvent } from './event.js';
import { filterAccepts, type Channel, type ChannelInput } from './channel.js';
import type { SecretBox } from './secret-box.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE events_outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          dedupe_key TEXT UNIQUE,
          type TEXT NOT NULL,
          severity TEXT NOT NULL,
          at TEXT NOT NULL,
          body TEXT NOT NULL
        ) STRICT;
        CREATE TABLE events_channels (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          kind TEXT NOT NULL,
          enabled INTEGER NOT NULL,
          filter TEXT NOT NULL,
          settings TEXT NOT NULL,
          sealed_secret TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE events_deliveries (
          event_seq INTEGER NOT NULL REFERENCES events_outbox(seq) ON DELETE CASCADE,
          channel_id TEXT NOT NULL REFERENCES events_channels(id) ON DELETE CASCADE,
          state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL,
          last_error TEXT,
          finished_at TEXT,
          PRIMARY KEY (event_seq, channel_id)
        ) STRICT;
        CREATE INDEX events_deliveries_due ON events_deliveries(state, next_attempt_at);
        CREATE TABLE events_delivery_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          event_seq INTEGER NOT NULL,
          event_id TEXT NOT NULL,
          event_type TEXT NOT NULL,
          channel_id TEXT NOT NULL,
          attempt INTEGER NOT NULL,
          at TEXT NOT NULL,
          outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead')),
          detail TEXT NOT NULL,
          duration_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX events_delivery_log_channel ON events_delivery_log(channel_id, id);
      `);
    },
  },
  {
    version: 2,
    up(db) {
      // Due deliveries in the order they are sent, read off the index without sorting the backlog.
      db.exec(`
        DROP INDEX events_deliveries_due;
        CREATE INDEX events_deliveries_due ON events_deliveries(state, next_attempt_at, event_seq);
      `);
    },
  },
  {
    version: 3,
    up(db) {
      // A VM's events (GET /vms/{vm}/events, the name of a VM in RPO events) read off an index on
      // the VM's moref, newest first, instead of every event's JSON.
      db.exec(`CREATE INDEX events_outbox_vm ON events_outbox(json_extract(body, '$.vm.moref'), seq)`);
    },
  },
  {
    version: 4,
    up(db) {
      // Only pending deliveries are ever looked up by when they are due: the index holds those
      // alone, so marking one delivered takes it out instead of moving it within the index, and
      // the index stays as small as the backlog rather than growing with the outbox.
      db.exec(`
        DROP INDEX events_deliveries_due;
        CREATE INDEX events_deliveries_due ON events_deliveries(next_attempt_at, event_seq) WHERE state = 'pending';
      `);
    },
  },
];

export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface RecordOptions {
  /** The same key twice: the second event is not recorded. */
  dedupeKey?: string;
  /** This channel only, whatever its filter (a test, a summary). */
  onlyChannel?: string;
}

export type SettleOutcome = { kind: 'delivered' } | { kind: 'retry'; retryAt: number } | { kind: 'dead' };

/** One channel's copy of one event, due to be sent. */
export interface DueDelivery {
  event: LifelineEvent;
  channelId: string;
  /** Attempts made before this one. */
  attempts: number;
}

export interface DeliveryLogEntry {
  id: number;
  eventId: string;
  eventType: string;
  channelId: string;
  attempt: number;
  at: string;
  outcome: 'delivered' | 'retry' | 'dead';
  /** The receiver's answer or the error, e.g. "HTTP 200" or "connect ECONNREFUSED 127.0.0.1:4000". */
  detail: string;
  durationMs: number;
}

export interface DeliveryCounts {
  pending: number;
  delivered: number;
  dead: number;
}

interface ChannelRow {
  id: string;
  name: string;
  kind: string;
  enabled: number;
  filter: string;
  settings: string;
  sealed_secret: string | null;
  created_at: string;
  updated_at: string;
}

export interface EventsStoreOptions {
  clock: TimeSource;
  randomBytes: RandomBytes;
  secrets: SecretBox;
}

export class SqliteEventsStore {
  private readonly clock: TimeSource;
  private readonly randomBytes: RandomBytes;
  private readonly secrets: SecretBox;

  constructor(private readonly db: Database, opts: EventsStoreOptions) {
    migrateComponent(db, 'events', MIGRATIONS);
    this.clock = opts.clock;
    this.randomBytes = opts.randomBytes;
    this.secrets = opts.secrets;
  }

  /** Prepared statements by their text: preparing costs more than running most of them. */
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();

  private sql(text: string): BetterSqlite3.Statement<unknown[], unknown> {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private newId(prefix: string): string {
    return `${prefix}_${Buffer.from(this.randomBytes(16)).toString('hex')}`;
  }

  /**
   * An event's id: `evt_` and 32 hex digits, the first 12 the time in milliseconds and the rest
   * random (as a UUIDv7 is made). Ids in the order of their making are added at the end of the
   * outbox's index of ids, not all over it: a commit of many events writes a page or two of the
   * index instead of one page per event.
   */
  private newEventId(now: number): string {
    return `evt_${Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12)}${this.randomHex(10)}`;
  }

  /** Random bytes for event ids, drawn a few thousand at a time: one call per id costs more than the id. */
  private idBytes: Uint8Array = new Uint8Array(0);
  private idOffset = 0;

  private randomHex(n: number): string {
    if (this.idOffset + n > this.idBytes.length) {
      this.idBytes = this.randomBytes(Math.max(n, 4096));
      this.idOffset = 0;
    }
    const hex = Buffer.from(this.idBytes.buffer, this.idBytes.byteOffset + this.idOffset, n).toString('hex');
    this.idOffset += n;
    return hex;
  }

  // ---- channels ----

  /** Channels as last read; every change through this store drops it. */
  private channelCache: Channel[] | null = null;

  listChannels(): Channel[] {
    this.channelCache ??= (this.sql('SELECT * FROM events_channels ORDER BY created_at, id').all() as ChannelRow[]).map(toChannel);
    return this.channelCache;
  }

  getChannel(id: string): Channel {
    const cached = this.channelCache?.find((c) => c.id === id);
    if (cached) return cached;
    const row = this.sql('SELECT * FROM events_channels WHERE id = ?').get(id) as ChannelRow | undefined;
    if (!row) throw new NotFoundError(`no notification channel ${id}`, { channelId: id });
    return toChannel(row);
  }

  /** Secrets in clear as last opened; every change of a channel drops them. */
  private readonly secretCache = new Map<string, string | null>();

  /** The channel's secret in clear, for signing; null when it has none. */
  channelSecret(id: string): string | null {
    if (this.secretCache.has(id)) return this.secretCache.get(id) ?? null;
    const secret = this.readChannelSecret(id);
    this.secretCache.set(id, secret);
    return secret;
  }

  private readChannelSecret(id: string): string | null {
    const row = this.sql('SELECT sealed_secret FROM events_channels WHERE id = ?').get(id) as { sealed_secret: string | null } | undefined;
    if (!row) throw new NotFoundError(`no notification channel ${id}`, { channelId: id });
    return row.sealed_secret === null ? null : this.secrets.open(row.sealed_secret);
  }

  private readonly channelListeners = new Set<() => void>();

  /** Called after each channel created, replaced or removed through this store. */
  onChannelsChanged(fn: () => void): () => void {
    this.channelListeners.add(fn);
    return () => this.channelListeners.delete(fn);
  }

  private channelsChanged(): void {
    for (const fn of this.channelListeners) fn();
  }

  createChannel(input: ChannelInput): Channel {
    this.channelCache = null;
    this.secretCache.clear();
    const id = this.newId('ch');
    const now = this.nowIso();
    this.db
      .prepare('INSERT INTO events_channels (id, name, kind, enabled, filter, settings, sealed_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.name, input.kind, input.enabled ? 1 : 0, JSON.stringify(input.filter), JSON.stringify(input.settings), input.secret === undefined ? null : this.secrets.seal(input.secret), now, now);
    this.channelsChanged();
    return this.getChannel(id);
  }

  /** Replaces a channel's configuration; without a secret in `input` the stored one is kept. */
  replaceChannel(id: string, input: ChannelInput): Channel {
    this.channelCache = null;
    this.secretCache.clear();
    const existing = this.getChannel(id);
    const sealed = input.secret !== undefined ? this.secrets.seal(input.secret) : input.kind === existing.kind ? undefined : null;
    this.db
      .prepare(
        `UPDATE events_channels SET name = @name, kind = @kind, enabled = @enabled, filter = @filter, settings = @settings, updated_at = @now${sealed === undefined ? '' : ', sealed_secret = @sealed'} WHERE id = @id`,
      )
      .run({
        id,
        name: input.name,
        kind: input.kind,
        enabled: input.enabled ? 1 : 0,
        filter: JSON.stringify(input.filter),
        settings: JSON.stringify(input.settings),
        now: this.nowIso(),
        ...(sealed === undefined ? {} : { sealed }),
      });
    this.channelsChanged();
    return this.getChannel(id);
  }

  /** Removes a channel with its pending deliveries; its delivery log stays. */
  deleteChannel(id: string): void {
    this.channelCache = null;
    this.secretCache.clear();
    const r = this.sql('DELETE FROM events_channels WHERE id = ?').run(id);
    if (r.changes === 0) throw new NotFoundError(`no notification channel ${id}`, { channelId: id });
    this.channelsChanged();
  }

  // ---- the outbox ----

  /**
   * `fn` in a transaction of its own, or inside the one already open (the group commit's): a
   * savepoint per part would cost more than the part itself.
   */
  private atomically<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  /** Runs `fn` in one transaction (the writes of the outbox's group commit). */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The database's write-ahead log when it is a file in WAL mode (the server's), else null. */
  walFile(): string | null {
    if (this.db.memory) return null;
    return String(this.db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal' ? `${this.db.name}-wal` : null;
  }

  /**
   * Runs `fn` in one transaction whose commit does not wait for the disk (synchronous = NORMAL
   * for this one commit; the connection's setting is restored at once). The caller makes it
   * durable by syncing the WAL file itself before it tells anyone the writes are done.
   */
  inUnsyncedTransaction<T>(fn: () => T): T {
    const before = Number((this.sql('PRAGMA synchronous').get() as { synchronous: number }).synchronous);
    this.sql('PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(fn)();
    } finally {
      this.sql(`PRAGMA synchronous = ${before}`).run();
    }
  }

  /**
   * Records an event and a pending delivery for each enabled channel whose filter takes it (only
   * `onlyChannel`, when given). Returns null when an event with the same `dedupeKey` was recorded
   * before: the fact has already been told.
   */
  record(e: NewEvent, opts: RecordOptions = {}): LifelineEvent | null {
    return this.recordMany([{ event: e, ...opts }])[0] ?? null;
  }

  /**
   * Records several events in one transaction: one write to disk (one fsync) for all of them,
   * which is what lets the outbox take events faster than the disk can sync one by one. The
   * answers are in the order given.
   */
  recordMany(items: ReadonlyArray<{ event: NewEvent } & RecordOptions>): Array<LifelineEvent | null> {
    if (items.length === 0) return [];
    const at = this.nowIso();
    const now = this.clock.now();
    const insertEvent = this.sql('INSERT INTO events_outbox (id, dedupe_key, type, severity, at, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING');
    const insertDeliveries = (n: number) => this.sql(`INSERT INTO events_deliveries (event_seq, channel_id, state, next_attempt_at) VALUES ${Array.from({ length: n }, () => "(?, ?, 'pending', ?)").join(', ')}`);
    const channels = this.listChannels();
    return this.atomically((): Array<LifelineEvent | null> =>
      items.map(({ event: e, dedupeKey, onlyChannel }): LifelineEvent | null => {
        const event: Omit<LifelineEvent, 'seq'> = {
          id: this.newEventId(now),
          type: e.type,
          severity: e.severity ?? EVENT_TYPES[e.type],
          at,
          message: e.message,
          vm: e.vm ?? null,
          site: e.site ?? null,
          jobId: e.jobId ?? null,
          pointId: e.pointId ?? null,
          data: e.data ?? {},
        };
        const r = insertEvent.run(event.id, dedupeKey ?? null, event.type, event.severity, at, JSON.stringify(event));
        if (r.changes === 0) return null;
        const seq = Number(r.lastInsertRowid);
        const to: string[] = [];
        for (const ch of channels) {
          // vCenter posts events on VMs; an event about no VM has no place there.
          const fits = ch.kind !== 'vcenter' || event.vm !== null;
          if (onlyChannel !== undefined ? ch.id === onlyChannel : ch.enabled && fits && filterAccepts(ch.filter, event)) to.push(ch.id);
        }
        // The event's deliveries in one statement.
        for (let from = 0; from < to.length; from += SETTLE_CHUNK) {
          const part = to.slice(from, from + SETTLE_CHUNK);
          insertDeliveries(part.length).run(...part.flatMap((id) => [seq, id, now]));
        }
        const recorded = { ...event, seq };
        this.channelsOfRecorded.set(recorded, to);
        return recorded;
      }),
    );
  }

  private readonly channelsOfRecorded = new WeakMap<LifelineEvent, readonly string[]>();

  /** The channels a pending delivery was recorded for, of an event `recordMany` just returned. */
  deliveriesOf(event: LifelineEvent): readonly string[] {
    return this.channelsOfRecorded.get(event) ?? [];
  }

  /**
   * Deliveries due at `now`, oldest first. Each event is read from its JSON only when asked for
   * (once for all its channels): the dispatcher looks at more deliveries than it sends at once.
   */
  due(now: number, limit: number, skip: ReadonlySet<string>): DueDelivery[] {
    const rows = this.sql(
      `SELECT d.event_seq AS seq, d.channel_id AS channelId, d.attempts AS attempts, o.body AS body
       FROM events_deliveries d JOIN events_outbox o ON o.seq = d.event_seq
       WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.event_seq LIMIT ?`,
    ).all(now, limit + skip.size) as Array<{ seq: number; channelId: string; attempts: number; body: string }>;
    const parsed = new Map<number, LifelineEvent>();
    const eventOf = (r: { seq: number; body: string }): LifelineEvent => {
      let e = parsed.get(r.seq);
      if (!e) {
        e = { ...(JSON.parse(r.body) as Omit<LifelineEvent, 'seq'>), seq: r.seq };
        parsed.set(r.seq, e);
      }
      return e;
    };
    return rows
      .filter((r) => !skip.has(deliveryKey(r.seq, r.channelId)))
      .slice(0, limit)
      .map((r) => ({
        channelId: r.channelId,
        attempts: r.attempts,
        get event() {
          return eventOf(r);
        },
      }));
  }

  /** When the next pending delivery is due (ms since the epoch), or null when none is pending. */
  nextDueAt(): number | null {
    const r = this.sql("SELECT MIN(next_attempt_at) AS t FROM events_deliveries WHERE state = 'pending'").get() as { t: number | null };
    return r.t;
  }

  /** The first pending delivery due strictly after `now`, or null. */
  nextDueAfter(now: number): number | null {
    const r = this.sql("SELECT MIN(next_attempt_at) AS t FROM events_deliveries WHERE state = 'pending' AND next_attempt_at > ?").get(now) as { t: number | null };
    return r.t;
  }

  /**
   * The outcome of one attempt: delivered, another attempt at `retryAt`, or given up (dead).
   * A delivery that is no longer pending (its channel was removed meanwhile) is left alone.
   */
  settle(d: DueDelivery, outcome: SettleOutcome, detail: string, durationMs: number): void {
    this.settleMany([{ d, outcome, detail, durationMs }]);
  }

  /** Several outcomes in one transaction (one write to disk for all of them). */
  settleMany(items: ReadonlyArray<{ d: DueDelivery; outcome: SettleOutcome; detail: string; durationMs: number }>): void {
    const at = this.nowIso();
    this.atomically(() => {
      const delivered = items.filter((i) => i.outcome.kind === 'delivered');
      for (const i of items) if (i.outcome.kind !== 'delivered') this.settleOne(at, i.d, i.outcome, i.detail, i.durationMs);
      // Deliveries, the bulk of the outcomes: their log entries in a statement per hundred.
      for (let from = 0; from < delivered.length; from += SETTLE_CHUNK) this.settleDelivered(at, delivered.slice(from, from + SETTLE_CHUNK));
    });
  }

  /**
   * Marks deliveries delivered, those still pending (a channel removed meanwhile took its own
   * with it), each by its key, and logs the attempts of those marked in one statement.
   */
  private settleDelivered(at: string, items: ReadonlyArray<{ d: DueDelivery; detail: string; durationMs: number }>): void {
    if (items.length === 0) return;
    const mark = this.sql("UPDATE events_deliveries SET attempts = ?, state = 'delivered', last_error = NULL, finished_at = ? WHERE event_seq = ? AND channel_id = ? AND state = 'pending'");
    const logged = items.filter((i) => mark.run(i.d.attempts + 1, at, i.d.event.seq, i.d.channelId).changes > 0);
    if (logged.length === 0) return;
    this.sql(
      `INSERT INTO events_delivery_log (event_seq, event_id, event_type, channel_id, attempt, at, outcome, detail, duration_ms) VALUES ${logged.map(() => "(?, ?, ?, ?, ?, ?, 'delivered', ?, ?)").join(', ')}`,
    ).run(...logged.flatMap((i) => [i.d.event.seq, i.d.event.id, i.d.event.type, i.d.channelId, i.d.attempts + 1, at, i.detail.slice(0, 1000), Math.round(i.durationMs)]));
  }

  private settleOne(at: string, d: DueDelivery, outcome: SettleOutcome, detail: string, durationMs: number): void {
    const attempt = d.attempts + 1;
    const r =
      outcome.kind === 'retry'
        ? this.sql("UPDATE events_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE event_seq = ? AND channel_id = ? AND state = 'pending'")
            .run(attempt, outcome.retryAt, detail, d.event.seq, d.channelId)
        : this.sql("UPDATE events_deliveries SET attempts = ?, state = ?, last_error = ?, finished_at = ? WHERE event_seq = ? AND channel_id = ? AND state = 'pending'")
            .run(attempt, outcome.kind, outcome.kind === 'dead' ? detail : null, at, d.event.seq, d.channelId);
    if (r.changes === 0) return;
    this.sql('INSERT INTO events_delivery_log (event_seq, event_id, event_type, channel_id, attempt, at, outcome, detail, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(d.event.seq, d.event.id, d.event.type, d.channelId, attempt, at, outcome.kind, detail.slice(0, 1000), Math.round(durationMs));
  }

  /** The newest attempts first, optionally of one channel; `before` pages on by log id. */
  deliveryLog(query: { channelId?: string; limit?: number; before?: number } = {}): DeliveryLogEntry[] {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const rows = this.db
      .prepare(
        `SELECT id, event_id AS eventId, event_type AS eventType, channel_id AS channelId, attempt, at, outcome, detail, duration_ms AS durationMs
         FROM events_delivery_log WHERE (@channel IS NULL OR channel_id = @channel) AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit`,
      )
      .all({ channel: query.channelId ?? null, before: query.before ?? null, limit }) as DeliveryLogEntry[];
    return rows;
  }

  /** Deliveries by state, optionally of one channel. */
  counts(channelId?: string): DeliveryCounts {
    const rows = this.db
      .prepare('SELECT state, COUNT(*) AS n FROM events_deliveries WHERE (@channel IS NULL OR channel_id = @channel) GROUP BY state')
      .all({ channel: channelId ?? null }) as Array<{ state: DeliveryState; n: number }>;
    const out: DeliveryCounts = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** The state of one event's delivery to one channel, or null when it has none. */
  deliveryState(eventId: string, channelId: string): { state: DeliveryState; attempts: number; lastError: string | null } | null {
    const r = this.db
      .prepare(
        `SELECT d.state AS state, d.attempts AS attempts, d.last_error AS lastError FROM events_deliveries d JOIN events_outbox o ON o.seq = d.event_seq WHERE o.id = ? AND d.channel_id = ?`,
      )
      .get(eventId, channelId) as { state: DeliveryState; attempts: number; lastError: string | null } | undefined;
    return r ?? null;
  }

  /** Whether an event with this de-duplication key was recorded. */
  hasDedupeKey(key: string): boolean {
    return this.sql('SELECT 1 FROM events_outbox WHERE dedupe_key = ?').get(key) !== undefined;
  }

  /**
   * Keeps the outbox and the delivery log bounded: removes events older than `before` (ISO-8601)
   * whose deliveries are all finished (delivered or dead), with those deliveries, and delivery log
   * entries older than `before`; then, beyond `maxEvents` finished events and `maxLogEntries` log
   * entries, the oldest. An event with a delivery still pending is never removed. At most
   * `batch` rows of each kind per call (a short write); returns how many went.
   */
  prune(limits: { before: string; maxEvents: number; maxLogEntries: number; batch?: number }): { events: number; logEntries: number } {
    const batch = limits.batch ?? 5000;
    return this.db.transaction(() => {
      // Finished events: old ones, then the oldest beyond the most kept.
      const finished = `SELECT o.seq FROM events_outbox o WHERE NOT EXISTS (SELECT 1 FROM events_deliveries d WHERE d.event_seq = o.seq AND d.state = 'pending')`;
      const newestKept = this.sql(`SELECT seq FROM (${finished}) ORDER BY seq DESC LIMIT 1 OFFSET ?`).get(limits.maxEvents) as { seq: number } | undefined;
      const victims = (
        this.sql(`${finished} AND (o.at < ? OR o.seq <= ?) ORDER BY o.seq LIMIT ?`).all(limits.before, newestKept?.seq ?? -1, batch) as Array<{ seq: number }>
      ).map((r) => r.seq);
      const dropDeliveries = this.sql('DELETE FROM events_deliveries WHERE event_seq = ?');
      const dropEvent = this.sql('DELETE FROM events_outbox WHERE seq = ?');
      for (const seq of victims) {
        dropDeliveries.run(seq);
        dropEvent.run(seq);
      }
      const newestLogKept = this.sql('SELECT id FROM events_delivery_log ORDER BY id DESC LIMIT 1 OFFSET ?').get(limits.maxLogEntries) as { id: number } | undefined;
      const log = this.sql(
        'DELETE FROM events_delivery_log WHERE id IN (SELECT id FROM events_delivery_log WHERE at < ? OR id <= ? ORDER BY id LIMIT ?)',
      ).run(limits.before, newestLogKept?.id ?? -1, batch);
      return { events: victims.length, logEntries: log.changes };
    })();
  }

  /** Events recorded at or after `at` (ISO-8601), oldest first, at most 10,000. */
  eventsSince(at: string): LifelineEvent[] {
    const rows = this.sql('SELECT seq, body FROM events_outbox WHERE at >= ? ORDER BY seq LIMIT 10000').all(at) as Array<{ seq: number; body: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as Omit<LifelineEvent, 'seq'>), seq: r.seq }));
  }

  /**
   * The newest events about one VM first (every event recorded, whichever channels took it). The
   * moref's expression is the one indexed (events_outbox_vm), so only that VM's rows are read.
   */
  vmEvents(vm: { vcenterGuid: string; moref: string }, limit = 20): LifelineEvent[] {
    const rows = this.sql(VM_EVENTS_SQL).all({ moref: vm.moref, vc: vm.vcenterGuid, limit: Math.min(Math.max(limit, 1), 1000) }) as Array<{ seq: number; body: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as Omit<LifelineEvent, 'seq'>), seq: r.seq }));
  }

  /** How SQLite reads a VM's events: the plan's details (the spec checks it uses the index). */
  vmEventsPlan(): string[] {
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${VM_EVENTS_SQL}`).all({ moref: 'vm-1', vc: 'vc', limit: 1 }) as Array<{ detail: string }>).map((r) => r.detail);
  }

  /** The VM's name as the newest event that named it says, or null when none did. */
  vmName(vm: { vcenterGuid: string; moref: string }): string | null {
    const r = this.sql(
      `SELECT json_extract(body, '$.vm.name') AS name FROM events_outbox WHERE json_extract(body, '$.vm.moref') = @moref AND lower(json_extract(body, '$.vm.vcenterGuid')) = lower(@vc)
       AND json_extract(body, '$.vm.name') IS NOT NULL ORDER BY seq DESC LIMIT 1`,
    ).get({ moref: vm.moref, vc: vm.vcenterGuid }) as { name: unknown } | undefined;
    return typeof r?.name === 'string' ? r.name : null;
  }

  /** The newest events first, optionally of one type. */
  recentEvents(query: { type?: string; limit?: number } = {}): LifelineEvent[] {
    const rows = this.db
      .prepare('SELECT seq, body FROM events_outbox WHERE (@type IS NULL OR type = @type) ORDER BY seq DESC LIMIT @limit')
      .all({ type: query.type ?? null, limit: Math.min(Math.max(query.limit ?? 100, 1), 1000) }) as Array<{ seq: number; body: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as Omit<LifelineEvent, 'seq'>), seq: r.seq }));
  }
}

/** Deliveries settled by one statement at most. */
const SETTLE_CHUNK = 100;

const VM_EVENTS_SQL = `SELECT seq, body FROM events_outbox WHERE json_extract(body, '$.vm.moref') = @moref AND lower(json_extract(body, '$.vm.vcenterGuid')) = lower(@vc)
  ORDER BY seq DESC LIMIT @limit`;

export function deliveryKey(seq: number, channelId: string): string {
  return `${seq}:${channelId}`;
}

function toChannel(r: ChannelRow): Channel {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled === 1,
    filter: JSON.parse(r.filter),
    // Webhooks stored before export links existed have none.
    settings: r.kind === 'webhook' ? { exportLinks: false, ...(JSON.parse(r.settings) as object) } : JSON.parse(r.settings),
    secretSet: r.sealed_secret !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  } as Channel;
}
