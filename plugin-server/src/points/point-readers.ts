/**
 * The restore points being read right now (exports, ticket downloads) and the jobs that work on a
 * point, so that deleting a point and repository maintenance leave such points alone.
 */
import type { JobRecord } from '../jobs/index.js';
import { RETENTION_JOB_KIND } from '../protection/index.js';
import { RESTORE_JOB_KIND } from '../recovery/index.js';

/** Job kinds whose params name the restore point they work on (`params.pointId`). */
const POINT_JOB_KINDS: ReadonlySet<string> = new Set([RESTORE_JOB_KIND, RETENTION_JOB_KIND]);

/** The active job, if any, that works on a restore point: a restore reading it, a retention locking it. */
export function jobOnPoint(active: readonly JobRecord[], pointId: string): JobRecord | undefined {
  return active.find((j) => POINT_JOB_KINDS.has(j.kind) && pointIdOf(j) === pointId);
}

/** The restore points active jobs work on. */
export function pointsOfJobs(active: readonly JobRecord[]): Set<string> {
  const ids = new Set<string>();
  for (const j of active) {
    const id = POINT_JOB_KINDS.has(j.kind) ? pointIdOf(j) : undefined;
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

function pointIdOf(job: JobRecord): string | undefined {
  const id = (job.params as { pointId?: unknown } | null)?.pointId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The restore points the API is reading right now (exports and ticket downloads), so that
 * repository maintenance leaves their VMs alone until the reads end: retention followed by garbage
 * collection would otherwise pull the chunks from under a download in progress.
 */
export class PointReaders {
  private readonly counts = new Map<string, number>();

  /** Marks a point as being read; the returned function (idempotent) ends that read. */
  hold(pointId: string): () => void {
    this.counts.set(pointId, (this.counts.get(pointId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.counts.get(pointId) ?? 1) - 1;
      if (n > 0) this.counts.set(pointId, n);
      else this.counts.delete(pointId);
    };
  }

  busy(): Set<string> {
    return new Set(this.counts.keys());
  }
}
