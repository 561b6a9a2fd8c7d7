/**
 * The job runner and the protection store keep their tables in the same SQLite file as the
 * repository catalog: each migrates its own tables, and none disturbs the others' schema version.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog } from '../../plugin-server/src/catalog/index.js';
import { createJobRunner } from '../../plugin-server/src/jobs/index.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { SqlitePolicyStore } from '../../plugin-server/src/protection/index.js';

describe('one catalog file for the repository catalog, jobs and protection', () => {
  it('lets each component migrate its own tables and reopen cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-shared-'));
    try {
      const file = join(dir, 'catalog.db');
      openCatalog(file).close();

      const clock = new ManualClock(Date.UTC(2025, 0, 6));
      let db = new Database(file);
      const runner = createJobRunner(db, { clock, random: () => 0.5, log: silentLogger, limits: { global: 2 } });
      runner.register('backup', { run: async () => 'done' });
      await runner.start();
      const store = new SqlitePolicyStore(db, { clock });
      const policy = store.createPolicy({
        name: 'Gold',
        rpoSeconds: 900,
        retention: { keepLast: 4, hourly: 0, daily: 7, weekly: 4, monthly: 0, yearly: 0 },
        immutabilityDays: 7,
        consistency: 'application',
        onQuiesceFailure: 'fail',
        excludedDisks: [],
        windows: [],
        replicationSite: null,
        hookSet: null,
      });
      const job = runner.submit({ kind: 'backup', target: { type: 'VirtualMachine', id: 'vm-1', vcenterGuid: 'vc-1' }, params: null }).job;
      await clock.advance(0);
      await runner.stop();
      db.close();

      // The repository catalog still opens (its own schema version untouched), and so do the others.
      openCatalog(file).close();
      db = new Database(file);
      const again = createJobRunner(db, { clock, random: () => 0.5, log: silentLogger, limits: { global: 2 } });
      expect(again.get(job.id).state).toBe('succeeded');
      expect(new SqlitePolicyStore(db, { clock }).getPolicy(policy.id).name).toBe('Gold');
      const versions = db.prepare('SELECT component, version FROM component_schema ORDER BY component').all();
      expect(versions).toEqual([{ component: 'jobs', version: 3 }, { component: 'protection', version: 1 }]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
