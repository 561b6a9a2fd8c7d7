/**
 * WAL checkpoints off the event loop. SQLite checkpoints a database in WAL mode inside the commit
 * that makes its log pass `wal_autocheckpoint` pages (1000 by default): that commit copies the log
 * into the database file and syncs both to disk, on the thread that committed. For the server's
 * database that is the event loop, and under a busy outbox (a commit every few milliseconds) one
 * commit in a few dozen then holds every delivery, request and answer of the server for tens to
 * hundreds of milliseconds, more on a busy disk. So while the events service runs, a thread of its
 * own (wal-checkpoint-thread.ts) checkpoints the database once a second over a connection of its
 * own (PASSIVE: it never waits for the server's readers or writers, nor they for it), and the
 * server's connection makes none itself. Should that thread end or fail to start, the connection's
 * own checkpoints are turned on again (and it is logged); they are turned on again at stop too.
 */
import { Worker } from 'node:worker_threads';
import type { Database } from '../jobs/index.js';
import type { Logger } from '../log/index.js';

/** How often the thread checkpoints: the log holds at most about a second of writes. */
export const WAL_CHECKPOINT_INTERVAL_MS = 1_000;

export interface WalCheckpointer {
  /** The thread, while it runs. */
  readonly thread: Worker | null;
  /** Ends the thread and turns the connection's own checkpoints on again. */
  stop(): Promise<void>;
}

/** Starts checkpointing `db` from a thread, when it is a file in WAL mode; null otherwise (nothing changed). */
export function startWalCheckpointer(db: Database, log: Logger, intervalMs = WAL_CHECKPOINT_INTERVAL_MS): WalCheckpointer | null {
  if (db.memory || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null;
  const before = Number(db.pragma('wal_autocheckpoint', { simple: true }));
  const worker = new Worker(new URL('./wal-checkpoint-thread.js', import.meta.url), { workerData: { file: db.name, intervalMs } });
  // An idle checkpoint thread keeps no process alive.
  worker.unref();
  let running = true;
  let stopping = false;
  const ownCheckpointsOn = () => {
    if (!running) return;
    running = false;
    if (db.open) db.pragma(`wal_autocheckpoint = ${before}`);
  };
  db.pragma('wal_autocheckpoint = 0');
  worker.on('error', (err) => {
    log.warn('WAL checkpoint thread failed; the database checkpoints in its commits again', { error: err.message });
    ownCheckpointsOn();
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (running && !stopping) log.warn('WAL checkpoint thread ended; the database checkpoints in its commits again', { code });
      ownCheckpointsOn();
      resolve();
    }),
  );
  return {
    get thread() {
      return running ? worker : null;
    },
    async stop() {
      stopping = true;
      ownCheckpointsOn();
      worker.postMessage({ type: 'close' });
      // It ends once its connection is closed; should it not, it is ended.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
