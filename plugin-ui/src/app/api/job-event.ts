import { isNumber, isRecord, isString } from './json-reader';
import { readJob, readJobLogLine, readJobProgress, type Job, type JobProgress } from './job';
import type { ServerSentEvent } from './event-stream-parser';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** One kind of event as the document describes it, without its time, which the UI does not use. */
type WireEvent<T extends Schemas['JobEvent']['type']> = Omit<Extract<Schemas['JobEvent'], { readonly type: T }>, 'at'>;

/**
 * The job events the server streams (`/api/v1/events`, `/api/v1/jobs/{id}/events`). `snapshot`
 * replaces a job the client may have missed events of; `resync` says the client missed events of
 * unknown jobs and should reload its list. A job is read as the UI reads any job.
 */
export type JobEvent =
  | (Omit<WireEvent<'state' | 'snapshot'>, 'job'> & { readonly job: Job })
  | WireEvent<'phase'>
  | WireEvent<'progress'>
  | WireEvent<'log'>
  | WireEvent<'resync'>;

/** Null for events of kinds this UI does not know (a newer server may send more) or malformed data. */
export function readJobEvent(event: ServerSentEvent): JobEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(event.data) as unknown;
  } catch {
    return null;
  }
  if (!isRecord(body) || !isNumber(body['seq'])) {
    return null;
  }
  const seq = body['seq'];
  const jobId = body['jobId'];
  if (event.type === 'resync') {
    return { type: 'resync', seq, jobId: null };
  }
  if (!isString(jobId)) {
    return null;
  }
  switch (event.type) {
    case 'state':
    case 'snapshot': {
      const job = readJob(body['job']);
      return job === null ? null : { type: event.type, seq, jobId, job };
    }
    case 'phase':
      return isString(body['phase']) ? { type: 'phase', seq, jobId, phase: body['phase'] } : null;
    case 'progress': {
      const progress = readJobProgress(body['progress']);
      return progress === null ? null : { type: 'progress', seq, jobId, progress };
    }
    case 'log': {
      const line = readJobLogLine(body['line']);
      return line === null ? null : { type: 'log', seq, jobId, line };
    }
    default:
      return null;
  }
}

/** A job after an event about it; the record of a state or snapshot event wins whole. */
export function applyJobEvent(job: Job, event: JobEvent): Job {
  switch (event.type) {
    case 'state':
    case 'snapshot':
      return { ...event.job, logTail: event.job.logTail ?? job.logTail };
    case 'phase':
      return { ...job, phase: event.phase };
    case 'progress':
      return { ...job, progress: event.progress };
    case 'log':
      return job.logTail === null ? job : { ...job, logTail: [...job.logTail, event.line].slice(-LOG_TAIL_LINES) };
    case 'resync':
      return job;
  }
}

/** As many lines as the server's job detail sends. */
export const LOG_TAIL_LINES = 50;

/** The share of a job done, 0–100, or null when the total is not known yet. */
export function jobPercent(progress: JobProgress): number | null {
  if (progress.bytesTotal === null || progress.bytesTotal <= 0) {
    return null;
  }
  return Math.min(100, Math.round((progress.bytesDone / progress.bytesTotal) * 100));
}
