// The server database's WAL checkpoints, made from a thread of their own while the events service
// runs (a real SQLite file in WAL mode): the server's connection makes none in its commits, the
// log still reaches the database file, and the connection's own checkpoints come back at stop or
// when the thread ends.
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, systemRandomBytes } from '../domain/index.js';
import { createLogger } from '../log/index.js';
import { EventsService } from './events-service.js';

describe('WAL checkpoints of the events service', () => {
  let dir: string;
  let db: Database.Database;
  let s: EventsService;
  const lines: string[] = [];
  const autocheckpoint = () => Number(db.pragma('wal_autocheckpoint', { simple: true }));
  const fileSize = () => statSync(join(dir, 'lifeline.db')).size;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-wal-'));
    db = new Database(join(dir, 'lifeline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    lines.length = 0;
    s = new EventsService({ db, dataDir: dir, clock: systemClock, random: () => 0.5, randomBytes: systemRandomBytes, log: createLogger({ level: 'warn', write: (l) => lines.push(l) }), version: '0.0.0-test' });
  });

  afterEach(async () => {
    await s.stop();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("copies the log into the database file from its thread, none from the server's commits, and gives the checkpoints back at stop", async () => {
    expect(autocheckpoint()).toBe(1000);
    s.start();
    expect(s.checkpointer?.thread).toBeTruthy();
    expect(autocheckpoint()).toBe(0);
    const before = fileSize();
    await Promise.all(Array.from({ length: 300 }, (_, i) => s.record({ type: 'backup.succeeded', message: `Backup ${i} of a VM with a name long enough to fill a page or two` })));
    // The thread's checkpoint writes the events into the database file (the server's commits only append to the log).
    await waitUntil(() => fileSize() > before);
    await s.stop();
    expect(autocheckpoint()).toBe(1000);
    expect(lines).toEqual([]);
  });

  it("turns the connection's own checkpoints on again, and says so, when the thread ends", async () => {
    s.start();
    expect(autocheckpoint()).toBe(0);
    await s.checkpointer?.thread?.terminate();
    await waitUntil(() => autocheckpoint() === 1000);
    expect(s.checkpointer?.thread).toBeNull();
    expect(lines.map((l) => (JSON.parse(l) as { level: string; msg: string }).msg)).toEqual([jasmine.stringMatching(/WAL checkpoint thread ended; the database checkpoints in its commits again/)]);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
