/**
 * The WAL checkpoint thread: a connection of its own to the server's database that copies the
 * write-ahead log back into the database file (`PRAGMA wal_checkpoint(PASSIVE)`: as much as it
 * can without waiting for any reader or writer) once a `intervalMs`, off the server's event loop.
 * Started only by wal-checkpointer.ts, which turns SQLite's own checkpoints (made inside a commit,
 * on the event loop, with two disk syncs) off on the main connection while this thread runs, and
 * back on should it end. It answers each checkpoint with SQLite's figures.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const port = parentPort;
if (!port) throw new Error('wal-checkpoint-thread must run as a worker thread');
const { file, intervalMs } = workerData as { file: string; intervalMs: number };

const db = new Database(file, { fileMustExist: true });
// A checkpoint syncs the WAL before it copies and the database file after (as SQLite's own does at FULL).
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 0');

const checkpoint = (): void => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    port.postMessage({ type: 'checkpointed', busy: r?.busy ?? 0, log: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 });
  } catch (err) {
    // SQLITE_BUSY (another checkpoint running) and the like: the next round tries again.
    port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  }
};

const timer = setInterval(checkpoint, intervalMs);
port.on('message', (m: { type: string }) => {
  if (m.type === 'checkpoint') checkpoint();
  else if (m.type === 'close') {
    clearInterval(timer);
    db.close();
    port.close();
  }
});
