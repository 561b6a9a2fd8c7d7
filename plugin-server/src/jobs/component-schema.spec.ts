import Database from 'better-sqlite3';
import { LifelineError } from '../errors/index.js';
import { migrateComponent, type Migration } from './component-schema.js';

describe('migrateComponent', () => {
  const v1: Migration = { version: 1, up: (db) => db.exec('CREATE TABLE demo_a (x INTEGER)') };
  const v2: Migration = { version: 2, up: (db) => db.exec('CREATE TABLE demo_b (y INTEGER)') };

  it('applies each migration once and keeps components apart', () => {
    const db = new Database(':memory:');
    expect(migrateComponent(db, 'demo', [v1])).toBe(1);
    expect(migrateComponent(db, 'demo', [v1, v2])).toBe(2);
    expect(migrateComponent(db, 'demo', [v1, v2])).toBe(2);
    expect(migrateComponent(db, 'other', [{ version: 1, up: (d) => d.exec('CREATE TABLE other_a (z INTEGER)') }])).toBe(1);
    const rows = db.prepare('SELECT component, version FROM component_schema ORDER BY component').all();
    expect(rows).toEqual([{ component: 'demo', version: 2 }, { component: 'other', version: 1 }]);
    db.close();
  });

  it('refuses a catalog written by a newer Lifeline, and rolls back a failing migration', () => {
    const db = new Database(':memory:');
    migrateComponent(db, 'demo', [v1, v2]);
    expect(() => migrateComponent(db, 'demo', [v1])).toThrowMatching((e: unknown) => e instanceof LifelineError && e.code === 'schema-too-new');
    const broken: Migration = { version: 1, up: (d) => { d.exec('CREATE TABLE half_done (x INTEGER)'); throw new Error('boom'); } };
    expect(() => migrateComponent(db, 'broken', [broken])).toThrowError('boom');
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    db.close();
  });
});
