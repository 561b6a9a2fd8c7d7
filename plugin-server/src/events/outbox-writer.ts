/**
 * Group commit for the outbox. The server's database syncs every commit to disk (synchronous =
 * FULL), and a sync costs a millisecond or more whatever it carries: one commit per event and one
 * per delivery outcome would hold the outbox to a few hundred events a second. So every write of
 * the events service — events recorded, delivery outcomes settled — goes through this writer,
 * which writes what waits in one transaction, one sync for the lot: at once when it is idle, and
 * under load at most one commit per window (`windowMs`), gathering what arrived meanwhile.
 *
 * In WAL mode (the server's database) the commit itself does not wait for the disk: the writer
 * syncs the WAL file afterwards in Node's thread pool (fdatasync), so the event loop keeps
 * serving deliveries meanwhile, and commits made while one sync runs share the next. A write's
 * promise resolves only once a sync that covers its commit has finished (on disk), so a producer
 * that awaits `record` knows its event will be delivered, and deliveries of an event start only
 * then. What a crash can lose is what was handed to the writer and not yet synced: the writes of
 * the last few milliseconds (a window, a commit and a sync). A delivery whose outcome was not yet
 * synced stays pending and is sent again after a restart (at-least-once; receivers de-duplicate
 * on the event id).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { LifelineEvent, NewEvent } from './event.js';
import type { DueDelivery, RecordOptions, SettleOutcome, SqliteEventsStore } from './events-store.js';

/**
 * The default commit window: short against the delivery latency, long against one disk sync. A
 * commit writes every page it changed once, so under load a longer window costs less per write
 * (fewer pages of the indexes written again); 10 ms is a small part of the half second an event
 * may take to reach its receivers.
 */
export const DEFAULT_COMMIT_WINDOW_MS = 10;

export interface SettleItem {
  d: DueDelivery;
  outcome: SettleOutcome;
  detail: string;
  durationMs: number;
}

interface Waiting<I, R> {
  item: I;
  resolve(r: R): void;
  reject(err: Error): void;
}

interface Committed {
  records: Array<Waiting<{ event: NewEvent } & RecordOptions, LifelineEvent | null>>;
  recorded: Array<LifelineEvent | null>;
  settles: Array<Waiting<readonly SettleItem[], void>>;
}

export class OutboxWriter {
  private records: Array<Waiting<{ event: NewEvent } & RecordOptions, LifelineEvent | null>> = [];
  private settles: Array<Waiting<readonly SettleItem[], void>> = [];
  private timer: NodeJS.Timeout | null = null;
  private lastCommitAt = -Infinity;
  /** The WAL file to sync after a commit, once known (null: the commit syncs itself). */
  private wal: { file: string | null } | null = null;
  private unsynced: Committed[] = [];
  private syncing: Promise<void> | null = null;
  private walHandle: Promise<FileHandle> | null = null;
  private readonly afterCommit = new Set<(recorded: LifelineEvent[]) => void>();
  /** Commits made, and writes in them: what the benchmark reports as the batching achieved. */
  readonly stats = { commits: 0, writes: 0, syncs: 0 };

  constructor(
    private readonly store: SqliteEventsStore,
    private readonly windowMs = DEFAULT_COMMIT_WINDOW_MS,
  ) {}

  /** Records an event; resolves once it is committed (null: its de-duplication key was seen before). */
  record(event: NewEvent, opts: RecordOptions = {}): Promise<LifelineEvent | null> {
    return new Promise((resolve, reject) => {
      this.records.push({ item: { event, ...opts }, resolve, reject });
      this.schedule();
    });
  }

  /** Settles the deliveries of one attempt (a batch) together; resolves once their outcomes are committed. */
  settleAll(items: readonly SettleItem[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settles.push({ item: items, resolve, reject });
      this.schedule();
    });
  }

  /** Called after each commit with the events it recorded (the dispatcher looks for due deliveries). */
  onCommit(fn: (recorded: LifelineEvent[]) => void): () => void {
    this.afterCommit.add(fn);
    return () => this.afterCommit.delete(fn);
  }

  /** Commits what waits now and waits for it to be on disk (the server is stopping). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.commit();
    while (this.syncing) await this.syncing;
    const h = this.walHandle;
    this.walHandle = null;
    await h?.then((fh) => fh.close()).catch(() => undefined);
  }

  private schedule(): void {
    if (this.timer) return;
    // Idle: commit at once (the next turn of the event loop). Busy: at most one commit per window.
    // Real time, not the server's clock (which tests may hold still): this is about the disk.
    const wait = Math.max(0, this.lastCommitAt + this.windowMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.commit();
    }, wait);
  }

  private commit(): void {
    const records = this.records;
    const settles = this.settles;
    if (records.length === 0 && settles.length === 0) return;
    this.records = [];
    this.settles = [];
    this.wal ??= { file: this.store.walFile() };
    const wal = this.wal.file;
    const write = () => {
      const out = this.store.recordMany(records.map((r) => r.item));
      this.store.settleMany(settles.flatMap((s) => s.item));
      return out;
    };
    let recorded: Array<LifelineEvent | null>;
    try {
      // In WAL mode the commit leaves the sync to syncWal(), off the event loop; else it syncs itself.
      recorded = wal === null ? this.store.inTransaction(write) : this.store.inUnsyncedTransaction(write);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const w of [...records, ...settles]) w.reject(e);
      return;
    } finally {
      this.lastCommitAt = performance.now();
    }
    this.stats.commits++;
    this.stats.writes += records.length + settles.reduce((n, s) => n + s.item.length, 0);
    const done = { records, recorded, settles };
    if (wal === null) this.done([done], null);
    else {
      this.unsynced.push(done);
      this.syncWal(wal);
    }
  }

  /**
   * Syncs the WAL (fdatasync, in the thread pool) and then tells everyone whose commit it covers.
   * While one sync runs, further commits gather for the next: one sync for all of them.
   */
  private syncWal(file: string): void {
    if (this.syncing) return;
    const batch = this.unsynced;
    this.unsynced = [];
    this.syncing = (async () => {
      let error: Error | null = null;
      try {
        // The WAL file stays open between syncs (SQLite keeps the same file; a checkpoint only
        // rewinds it), so a sync costs no open and close.
        this.walHandle ??= open(file, 'r+');
        const fh = await this.walHandle;
        await fh.datasync();
        this.stats.syncs++;
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
        // Opened again for the next sync.
        const h = this.walHandle;
        this.walHandle = null;
        void h?.then((fh) => fh.close()).catch(() => undefined);
      }
      this.done(batch, error);
    })().finally(() => {
      this.syncing = null;
      if (this.unsynced.length > 0) this.syncWal(file);
    });
  }

  private done(batches: Committed[], error: Error | null): void {
    const events: LifelineEvent[] = [];
    for (const { records, recorded, settles } of batches) {
      if (error) {
        for (const w of [...records, ...settles]) w.reject(error);
        continue;
      }
      records.forEach((w, i) => w.resolve(recorded[i] ?? null));
      for (const w of settles) w.resolve();
      for (const e of recorded) if (e !== null) events.push(e);
    }
    for (const fn of this.afterCommit) fn(events);
  }
}
