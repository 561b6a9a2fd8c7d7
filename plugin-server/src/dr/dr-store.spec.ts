// The DR site's state database across an upgrade: failovers recorded by a Lifeline whose "dr"
// tables are at version 2 (modes disaster and test only) are kept by version 3, which accepts
// mode planned.
import Database from 'better-sqlite3';
import { systemClock } from '../domain/index.js';
import { migrateComponent } from '../jobs/index.js';
import { DR_STORE_MIGRATIONS, SqliteDrStore, type FailoverRecord } from './dr-store.js';

const clock = systemClock;

function record(mode: FailoverRecord['mode']): Omit<FailoverRecord, 'id' | 'createdAt' | 'updatedAt'> {
  return {
    peerId: 'peer-1',
    siteName: 'site-a',
    mode,
    sourceVm: { id: 'guid:vm-1', name: 'vm1' },
    pointId: '20261206-110000-0a0b0c0d',
    pointCreatedAt: '2026-12-06T11:00:00.000Z',
    dataLossWindowSeconds: 0,
    name: 'vm1',
    vcenterGuid: 'guid',
    request: { datastore: 'ds', folder: null, pool: null, networks: {}, powerOn: true, keepMacAddresses: false, toolsTimeoutSeconds: 0 },
    state: 'starting',
    jobId: null,
    cleanupJobId: null,
    vm: null,
    checkpoint: null,
    report: { startedAt: null, createdAt: null, poweredOnAt: null, toolsReadyAt: null, rtoSeconds: null, failures: [], cleanedAt: null },
    requestedBy: 'admin',
    planRunId: null,
  };
}

describe('the DR store', () => {
  it('keeps the failovers of version 2 when it moves to version 3, which records planned migrations', () => {
    const db = new Database(':memory:');
    try {
      migrateComponent(db, 'dr', DR_STORE_MIGRATIONS.slice(0, 2));
      // Version 2 refuses mode planned: a rebuild of the table is what widens it.
      expect(() => db.prepare("INSERT INTO dr_failover (id, peer_id, mode, state, doc, created_at, updated_at) VALUES ('x', 'p', 'planned', 'up', '{}', 0, 0)").run()).toThrowError(/CHECK/);
    } finally {
      db.close();
    }
    const upgraded = new Database(':memory:');
    try {
      migrateComponent(upgraded, 'dr', DR_STORE_MIGRATIONS.slice(0, 2));
      const old = { ...record('disaster'), id: 'old-1', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' };
      upgraded.prepare('INSERT INTO dr_failover (id, peer_id, mode, state, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(old.id, old.peerId, old.mode, old.state, JSON.stringify(old), 1, 1);
      const store = new SqliteDrStore(upgraded, clock);
      expect(store.getFailover('old-1')).toEqual(old);
      const planned = store.newFailover(record('planned'));
      expect(store.getFailover(planned.id).mode).toBe('planned');
      expect(store.listFailovers().map((f) => f.id).sort()).toEqual(['old-1', planned.id].sort());
      expect((upgraded.prepare("SELECT version FROM component_schema WHERE component = 'dr'").get() as { version: number }).version).toBe(3);
    } finally {
      upgraded.close();
    }
  });
});
