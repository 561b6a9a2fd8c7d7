import Database from 'better-sqlite3';
import { SqliteJobStore } from './job-store.js';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

describe('SqliteJobStore schema', () => {
  it('brings a catalog from before deadlines (jobs schema 1) to the current schema, keeping its jobs', () => {
    const db = new Database(':memory:');
    try {
      const store = new SqliteJobStore(db);
      const target = { type: 'VirtualMachine', id: 'vm-1', vcenterGuid: 'vc-1' };
      store.insert({ id: 'old', kind: 'backup', target, priority: 0, params: null, limitKeys: [], maxAttempts: 3, requestedBy: 'scheduler', createdAt: T0 });
      // Back to what schema 1 had: no deadline, no yielding, the queue index without the deadline,
      // one active job per target whatever its lane.
      db.exec(`
        DROP INDEX jobs_job_one_active_per_target;
        ALTER TABLE jobs_job DROP COLUMN lane;
        CREATE UNIQUE INDEX jobs_job_one_active_per_target ON jobs_job (target_key) WHERE (state IN ('queued', 'running') OR cleanup IN ('pending', 'running'));
        DROP INDEX jobs_job_by_state;
        ALTER TABLE jobs_job DROP COLUMN deadline_at;
        ALTER TABLE jobs_job DROP COLUMN yields;
        CREATE INDEX jobs_job_by_state ON jobs_job (state, priority, seq);
        UPDATE component_schema SET version = 1 WHERE component = 'jobs';
      `);
      const reopened = new SqliteJobStore(db);
      expect(reopened.get('old')).toEqual(jasmine.objectContaining({ id: 'old', state: 'queued', deadline: null, yieldsWhileQueued: false }));
      const later = reopened.insert({ id: 'new', kind: 'backup', target: { ...target, id: 'vm-2' }, priority: 0, params: null, limitKeys: [], maxAttempts: 3, requestedBy: 'scheduler', createdAt: T0, deadline: T0 + 1000, yieldsWhileQueued: true });
      expect(later.deadline).toBe(new Date(T0 + 1000).toISOString());
      // The job with a deadline goes first; the one from before has none and goes last.
      expect(reopened.listQueued().map((j) => j.id)).toEqual(['new', 'old']);
      // Schema 3: the jobs from before hold their targets in the default lane.
      expect(reopened.activeForTarget(target)?.id).toBe('old');
      expect(reopened.activeForTarget(target, 'replication')).toBeUndefined();
      expect((db.prepare("SELECT version FROM component_schema WHERE component = 'jobs'").get() as { version: number }).version).toBe(3);
    } finally {
      db.close();
    }
  });
});
