/**
 * Versioned schema for one component's tables inside the shared catalog database. Each component
 * (jobs, protection, …) owns tables under its own name prefix and its own version row in
 * `component_schema`, so components migrate independently and coexist in one SQLite file.
 * Migrations only ever append; a database written by a newer Lifeline is refused rather than
 * guessed at.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';

export type Database = BetterSqlite3.Database;

export interface Migration {
  /** 1, 2, 3, … in order; never renumbered once released. */
  version: number;
  up(db: Database): void;
}

/** Brings `component`'s tables to the latest version; returns that version. */
export function migrateComponent(db: Database, component: string, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new LifelineError('schema-invalid', `${component} migration ${i + 1} is numbered ${m.version}`);
  });
  db.exec(`CREATE TABLE IF NOT EXISTS component_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  ) STRICT`);
  const latest = migrations.length;
  const apply = db.transaction(() => {
    // Read inside the write transaction so two processes opening the same file cannot both migrate.
    const row = db.prepare('SELECT version FROM component_schema WHERE component = ?').get(component) as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > latest) {
      throw new LifelineError('schema-too-new', `the catalog's ${component} tables are at version ${current}, newer than this Lifeline (${latest}); upgrade Lifeline`, {
        component,
        current,
        latest,
      });
    }
    for (const m of migrations.slice(current)) m.up(db);
    db.prepare('INSERT INTO component_schema (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version').run(component, latest);
  });
  apply.immediate();
  return latest;
}
