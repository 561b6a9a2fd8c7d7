import { isNumber, isRecord, isString, isStringOrNull, readPage, type PageOf } from './json-reader';

/** One entry of `GET /api/v1/audit`: who did what to which object, and how it ended. */
export interface AuditRecord {
  readonly id: number;
  readonly at: string;
  readonly user: string | null;
  readonly action: string;
  readonly object: string | null;
  readonly outcome: 'success' | 'failure';
  readonly status: number;
  readonly errorCode: string | null;
}

export function readAuditRecord(body: unknown): AuditRecord | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, at, user, action, object, outcome, status, errorCode } = body;
  if (
    !isNumber(id) ||
    !isString(at) ||
    !isStringOrNull(user) ||
    !isString(action) ||
    !isStringOrNull(object) ||
    (outcome !== 'success' && outcome !== 'failure') ||
    !isNumber(status) ||
    !isStringOrNull(errorCode)
  ) {
    return null;
  }
  return { id, at, user, action, object, outcome, status, errorCode };
}

export function readAuditPage(body: unknown): PageOf<AuditRecord> | null {
  return readPage(body, readAuditRecord);
}
