import { isNumber, isNumberOrNull, isRecord, isString, isStringOrNull, readPage, type PageOf } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

export type JobState = Schemas['Job']['state'];
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const satisfies readonly JobState[];

export function isActiveJobState(state: JobState): boolean {
  return state === 'queued' || state === 'running';
}

export type JobProgress = Schemas['JobProgress'];

export type JobLogLine = Schemas['JobLogLine'];

/** A job as `/api/v1/jobs` shows it; the fields the UI does not use are left out. */
export type Job = Pick<
  Schemas['Job'],
  'id' | 'kind' | 'target' | 'state' | 'phase' | 'progress' | 'result' | 'error' | 'cancelRequested' | 'requestedBy' | 'createdAt' | 'startedAt' | 'finishedAt' | 'deadline'
> & {
  /** Only `GET /api/v1/jobs/{id}` sends the last lines of the log (its `log.tail`). */
  readonly logTail: readonly JobLogLine[] | null;
};

export function readJobProgress(value: unknown): JobProgress | null {
  if (!isRecord(value)) {
    return null;
  }
  const { bytesDone, bytesTotal, rateBytesPerSecond, etaSeconds } = value;
  if (!isNumber(bytesDone) || !isNumberOrNull(bytesTotal) || !isNumberOrNull(rateBytesPerSecond) || !isNumberOrNull(etaSeconds)) {
    return null;
  }
  return { bytesDone, bytesTotal, rateBytesPerSecond, etaSeconds };
}

export function readJobLogLine(value: unknown): JobLogLine | null {
  if (!isRecord(value)) {
    return null;
  }
  const { line, at, level, message } = value;
  if (!isNumber(line) || !isString(at) || !isString(message) || (level !== 'info' && level !== 'warn' && level !== 'error')) {
    return null;
  }
  return { line, at, level, message };
}

function readLogTail(value: unknown): readonly JobLogLine[] | null | undefined {
  if (!isRecord(value) || !Array.isArray(value['tail'])) {
    return null;
  }
  const lines = (value['tail'] as unknown[]).map(readJobLogLine);
  return lines.every((line): line is JobLogLine => line !== null) ? lines : undefined;
}

export function readJob(body: unknown): Job | null {
  if (!isRecord(body) || !isRecord(body['target'])) {
    return null;
  }
  const { id, kind, state, phase, cancelRequested, requestedBy, createdAt, startedAt, finishedAt } = body;
  const { type: targetType, id: targetId, vcenterGuid } = body['target'];
  const progress = readJobProgress(body['progress']);
  const error = body['error'];
  const logTail = readLogTail(body['log']);
  // A server from before deadlines sends none: no deadline.
  const deadline = body['deadline'] ?? null;
  if (
    !isStringOrNull(deadline) ||
    !isString(id) ||
    !isString(kind) ||
    !(JOB_STATES as readonly unknown[]).includes(state) ||
    !isStringOrNull(phase) ||
    typeof cancelRequested !== 'boolean' ||
    !isStringOrNull(requestedBy) ||
    !isString(createdAt) ||
    !isStringOrNull(startedAt) ||
    !isStringOrNull(finishedAt) ||
    !isString(targetType) ||
    !isString(targetId) ||
    !isStringOrNull(vcenterGuid) ||
    progress === null ||
    logTail === undefined ||
    !(error === null || (isRecord(error) && isString(error['code']) && isString(error['message'])))
  ) {
    return null;
  }
  return {
    id,
    kind,
    target: { type: targetType, id: targetId, vcenterGuid },
    state: state as JobState,
    phase,
    progress,
    // What a job produced differs by kind; whoever shows it reads it (e.g. replicationResultOf).
    result: body['result'] ?? null,
    error: error === null ? null : { code: error['code'] as string, message: error['message'] as string },
    cancelRequested,
    requestedBy,
    createdAt,
    startedAt,
    finishedAt,
    deadline,
    logTail,
  };
}

export function readJobPage(body: unknown): PageOf<Job> | null {
  return readPage(body, readJob);
}

/**
 * A 202 of an action that runs as a job (back up now, revert, new instance, attach, detach): the
 * job, and whether it is new or the one already running for the same request.
 */
export function readJobAccepted(body: unknown): { job: Job; created: boolean } | null {
  if (!isRecord(body) || typeof body['created'] !== 'boolean') {
    return null;
  }
  const job = readJob(body['job']);
  return job === null ? null : { job, created: body['created'] };
}
