/**
 * Auditing of mutating API calls. `audited()` goes first on a mutating route, before its
 * authorisation, so that a refused call (403) is recorded as well as one that ran; the record is
 * written once the response has been sent, with the status it ended with and, for a failure, the
 * error code its problem document carried. `auditErrorTap()` sits just before the problem handler
 * and notes which error ended an audited request.
 *
 * Only calls by an identified user are recorded: a call without a valid session (401) has no one
 * to attribute it to, and recording those would let anyone fill the log.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { describeError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';
import { findAuthorizedCall, requestVcenter } from '../auth/authorize.js';
import { PermissionError, type VcenterTarget } from '../auth/ports.js';
import { toProblem } from '../problem.js';
import { requestContext } from '../request-context.js';
import type { AuditLog } from './audit-log.js';

type DetailValue = string | number | boolean | null;

/**
 * Names the object of an audited call from the route's path parameters (as they were when the
 * route ran: Express resets them once routing moves on) and the vCenter the request resolved to.
 */
export type AuditObjectOf = (params: Readonly<Record<string, string>>, vcenter: VcenterTarget | undefined) => string | null;

interface Pending {
  readonly action: string;
  readonly objectOf: AuditObjectOf;
  readonly params: Readonly<Record<string, string>>;
  object: string | null | undefined;
  details: Record<string, DetailValue>;
  error: unknown;
  written: boolean;
}

const pending = new WeakMap<Request, Pending>();

/**
 * Sets the object of the audited call when it is only known once the handler ran (the id of a
 * policy just created), and adds details (ids and names only, never secrets).
 */
export function noteAudit(req: Request, note: { object?: string; details?: Record<string, DetailValue> }): void {
  const p = pending.get(req);
  if (!p) return;
  if (note.object !== undefined) p.object = note.object;
  if (note.details) Object.assign(p.details, note.details);
}

export function audited(log: AuditLog, appLog: Logger, action: string, objectOf: AuditObjectOf = () => null): RequestHandler {
  return (req, res, next) => {
    const p: Pending = { action, objectOf, params: { ...req.params } as Record<string, string>, object: undefined, details: {}, error: null, written: false };
    pending.set(req, p);
    const write = () => {
      if (p.written) return;
      p.written = true;
      try {
        writeRecord(log, req, res, p);
      } catch (err) {
        appLog.error('audit record not written', { requestId: requestContext(req).id, action, error: describeError(err) });
      }
    };
    res.once('finish', write);
    // A client that went away mid-response still had its call carried out (or refused).
    res.once('close', write);
    next();
  };
}

export function auditErrorTap(): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    const p = pending.get(req);
    if (p) p.error = err;
    next(err);
  };
}

function writeRecord(log: AuditLog, req: Request, res: Response, p: Pending): void {
  const call = findAuthorizedCall(req);
  const user = call?.session.userName ?? (p.error instanceof PermissionError ? p.error.userName : null);
  if (user === null) return;
  const requestId = requestContext(req).id;
  const status = res.statusCode;
  const vcenter = call?.vcenter ?? requestVcenter(req);
  const failed = status >= 400 || !res.writableFinished;
  let object: string | null;
  try {
    object = p.object !== undefined ? p.object : p.objectOf(p.params, vcenter);
  } catch {
    // The id in the request could not even be parsed; the call failed on that too.
    object = null;
  }
  log.append({
    user,
    vcenterGuid: vcenter?.guid ?? null,
    action: p.action,
    object,
    outcome: failed ? 'failure' : 'success',
    status,
    errorCode: failed ? (p.error !== null ? toProblem(p.error, requestId).code : res.writableFinished ? `http-${status}` : 'client-closed') : null,
    requestId,
    details: p.details,
  });
}
