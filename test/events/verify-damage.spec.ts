// verify.damage events from what a maintenance run found: the run fails when verification finds
// damage, keeps its result (every damaged point) as the failed job's result, and the event lists
// each point from there, not the few its error message has room for.
import Database from 'better-sqlite3';
import { createJobRunner, type JobRecord, type JobRunner } from '../../plugin-server/src/jobs/index.js';
import { ManualClock, settle } from '../../plugin-server/src/jobs/testing.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { MAINTENANCE_JOB_KIND, MAINTENANCE_TARGET, MaintenanceDamageError, maintenanceResultOfFailure, type MaintenanceResult } from '../../plugin-server/src/protection/repository-maintenance.js';
import { eventsOfJob, MAX_DAMAGED_POINTS_LISTED } from '../../plugin-server/src/events/producers.js';

describe('verify.damage events', () => {
  let db: Database.Database;
  let runner: JobRunner;

  beforeEach(async () => {
    db = new Database(':memory:');
    runner = createJobRunner(db, { clock: new ManualClock(Date.UTC(2026, 5, 1)), random: () => 0.5, log: silentLogger, limits: { global: 1 } });
    await runner.start();
  });

  afterEach(async () => {
    void runner.stop();
    await settle();
    db.close();
  });

  async function failedRun(points: string[]): Promise<JobRecord> {
    const found: MaintenanceResult = { retention: null, gc: null, verify: { percent: 100, chunksChecked: 40, damagedPoints: points, healedPoints: [] } };
    runner.register(MAINTENANCE_JOB_KIND, {
      // As the maintenance handler keeps what a failed run found.
      resultOfFailure: maintenanceResultOfFailure,
      run() {
        // As the verify step ends when it found damage (protection/repository-maintenance.ts).
        return Promise.reject(new MaintenanceDamageError(points, found));
      },
    });
    const { job } = runner.submit({ kind: MAINTENANCE_JOB_KIND, target: MAINTENANCE_TARGET, params: { trigger: 'manual', steps: ['verify'], verifyPercent: 100 } });
    for (let i = 0; i < 100 && !['failed', 'succeeded'].includes(runner.get(job.id).state); i++) await settle();
    return runner.get(job.id);
  }

  it('lists every damaged point from the failed run it found them in, beyond the five its error message names', async () => {
    const points = Array.from({ length: 7 }, (_, i) => `pt-${i + 1}`);
    const job = await failedRun(points);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('repository-damaged');
    // The message has room for five and says so.
    expect(job.error?.message).toContain('…');
    expect((job.result as MaintenanceResult | null)?.verify?.damagedPoints).toEqual(points);
    const events = eventsOfJob(job, false);
    expect(events.map((e) => e.type)).toEqual(['maintenance.failed', 'verify.damage']);
    expect(events[1]?.data).toEqual({ damagedPoints: points, count: 7 });
    expect(events[1]?.message).toBe('Verification found damage in 7 restore point(s)');
  });

  it('lists the first hundred damaged points and counts them all when a run found more, so the event stays small', async () => {
    const points = Array.from({ length: 2500 }, (_, i) => `pt-${String(i + 1).padStart(36, '0')}`);
    const job = await failedRun(points);
    // The job's result keeps every one.
    expect((job.result as MaintenanceResult | null)?.verify?.damagedPoints?.length).toBe(2500);
    const damage = eventsOfJob(job, false).find((e) => e.type === 'verify.damage');
    expect(MAX_DAMAGED_POINTS_LISTED).toBe(100);
    expect(damage?.data).toEqual({ damagedPoints: points.slice(0, 100), count: 2500 });
    expect(damage?.message).toBe('Verification found damage in 2500 restore point(s) (the first 100 listed)');
    expect(JSON.stringify(damage).length).toBeLessThan(8_000);
  });
});
