import { isNumber, isRecord, isString, isStringOrNull, readPage, type PageOf } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** One entry of `GET /api/v1/audit`: who did what to which object, and how it ended. */
export type AuditRecord = Pick<Schemas['AuditRecord'], 'id' | 'at' | 'user' | 'action' | 'object' | 'outcome' | 'status' | 'errorCode'>;

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
