/**
 * The server's own SQLite database (`<dataDir>/lifeline.db`): jobs, protection policies and their
 * assignments, and the audit log, each in its own tables with its own schema version
 * (`component_schema`). One file and one connection, so a change that spans components (a job
 * submitted for a protected VM) never waits on another writer inside the process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from '../jobs/index.js';

export const STATE_DATABASE_FILE = 'lifeline.db';

export function stateDatabasePath(dataDir: string): string {
  return join(dataDir, STATE_DATABASE_FILE);
}

export function openStateDatabase(dataDir: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(stateDatabasePath(dataDir));
  try {
    // WAL: API reads never wait for the job runner's writes. FULL: an acknowledged change (a
    // policy saved, an audit record) survives a power cut, which is what the API promises.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
