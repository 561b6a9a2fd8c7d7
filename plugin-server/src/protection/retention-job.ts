/**
 * The 'retention' job kind: keeps one restore point longer. Its manifest, indexes and every chunk
 * it references are locked until the new time (a lock per chunk, so a large point takes a while:
 * hence a job, not a request), then the catalog records the new retain-until with who asked.
 * Retention is only ever extended: a time earlier than the point's retain-until is refused.
 */
import { ValidationError } from '../errors/index.js';
import type { JobHandler } from '../jobs/index.js';
import { type Repository } from '../store/index.js';
import { isPointId } from '../domain/index.js';

export const RETENTION_JOB_KIND = 'retention';
/** Further than this is not a retention but a mistake in the date. */
export const MAX_RETENTION_YEARS = 10;

export interface RetentionParams {
  pointId: string;
  /** The new retain-until (ms since the epoch). */
  retainUntil: number;
  /** Who asked, for the catalog's retention history. */
  requestedBy: string | null;
}

export interface RetentionResult {
  pointId: string;
  retainUntil: string;
}

export function parseRetentionParams(raw: unknown): RetentionParams {
  const p = (raw ?? {}) as Partial<RetentionParams>;
  if (typeof p.pointId !== 'string' || !isPointId(p.pointId)) throw new ValidationError('params.pointId must be a restore point id', { field: 'params.pointId' });
  if (typeof p.retainUntil !== 'number' || !Number.isSafeInteger(p.retainUntil) || p.retainUntil <= 0) {
    throw new ValidationError('params.retainUntil must be a time in milliseconds', { field: 'params.retainUntil' });
  }
  return { pointId: p.pointId, retainUntil: p.retainUntil, requestedBy: typeof p.requestedBy === 'string' ? p.requestedBy : null };
}

export function createRetentionJobHandler(deps: { repository: Repository }): JobHandler<RetentionParams> {
  return {
    async run(ctx): Promise<RetentionResult> {
      const params = parseRetentionParams(ctx.params);
      const until = new Date(params.retainUntil).toISOString();
      ctx.phase('lock');
      ctx.log(`keeping restore point ${params.pointId} until ${until}: locking its manifest, indexes and data`);
      const reason = params.requestedBy ? `kept longer at the request of ${params.requestedBy}` : 'kept longer';
      const point = await deps.repository.extendRetention(params.pointId, params.retainUntil, reason, ctx.signal);
      ctx.log(`restore point ${point.id} is kept until ${new Date(point.retainUntil).toISOString()}`);
      return { pointId: point.id, retainUntil: new Date(point.retainUntil).toISOString() };
    },
  };
}
