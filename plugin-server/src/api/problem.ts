/**
 * API errors as RFC 9457 problem details. This is the one place where Lifeline's error codes
 * become HTTP statuses; everything below the API throws LifelineErrors with a stable `code` and
 * knows nothing of HTTP. A problem always carries that `code` as an extension member, so clients
 * branch on it rather than on wording. Server-side failures (5xx) are logged with the request id,
 * which the body repeats as `errorId` for the user to quote; their body never carries a stack
 * trace, and for unexpected errors not even the message, which may describe internals.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { LifelineError, NotFoundError, isLifelineError, type ErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { requestContext } from './request-context.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The status of every code (errors/codes.ts); the compiler checks that none is missing. A code
 * from outside the union (a plain object thrown by a library) is an internal error (500).
 */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  validation: 400,
  'bad-request': 400,
  'vcenter-unknown': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  // The job runner's and protection's conflicts: the request is sound but the state forbids it now.
  busy: 409,
  'job-finished': 409,
  'policy-name-taken': 409,
  'policy-in-use': 409,
  'vm-paused': 409,
  'not-protected': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'vcenter-unreachable': 502,
  // Site pairing: a peer that is not paired is refused; the peer's answers pass through.
  'site-not-paired': 403,
  'site-paired': 409,
  'site-thumbprint-mismatch': 409,
  'pairing-code-invalid': 422,
  'site-unreachable': 502,
  'site-error': 502,
  'vcenter-error': 502,
  // The vSphere adapter's codes: whatever vCenter answered, Lifeline stood in between.
  'vsphere-unreachable': 502,
  'vsphere-thumbprint-mismatch': 502,
  'vsphere-protocol': 502,
  'vsphere-fault': 502,
  'vsphere-task-failed': 502,
  'shutting-down': 503,
  'queue-full': 503,
  'runner-stopped': 503,
  'backup-unavailable': 503,
  'vcenter-not-configured': 503,
  // The repository's codes: what a caller asked of it, and what it found wrong with its own data.
  'point-not-found': 404,
  'object-not-found': 404,
  'invalid-range': 416,
  'retention-locked': 409,
  'point-in-use': 409,
  'retention-shorten-refused': 409,
  'clock-went-backwards': 409,
  'repository-busy': 503,
  'store-full': 507,
  // Damaged backup data and failed restores are the server's failure, but the administrator must
  // learn which chunk, point, disk or file: these 5xx keep their message.
  'chunk-corrupt': 500,
  'index-invalid': 500,
  'manifest-invalid': 500,
  'catalog-unreadable': 500,
  'catalog-integrity': 500,
  'restore-chunk-corrupt': 500,
  'restore-chunk-missing': 500,
  'restore-upload-failed': 502,
  'restore-vm-changed': 409,
  'restore-rollback-failed': 500,
  // Failures of the server, its jobs or its files that a request does not cause: internal errors,
  // whose message is logged rather than shown.
  aborted: 500,
  internal: 500,
  'demo-login-failed': 500,
  'job-kind-duplicate': 500,
  'job-kind-unknown': 500,
  'job-timeout': 500,
  'job-failed': 500,
  'runner-started': 500,
  shutdown: 500,
  cancelled: 500,
  interrupted: 500,
  'schema-too-new': 500,
  'schema-invalid': 500,
  'wrong-passphrase': 500,
  'passphrase-required': 500,
  'not-a-repository': 500,
  'repository-exists': 500,
  'unsupported-format': 500,
  'catalog-too-new': 500,
  'catalog-too-old': 500,
  'invalid-key': 500,
  'backend-io': 500,
  'backend-refused': 500,
  'codec-failed': 500,
  'delivery-failed': 502,
  'chunk-missing': 500,
  'export-too-large': 500,
  'publication-not-found': 404,
  'publication-exists': 409,
  'publication-in-use': 409,
  'nfs-not-configured': 503,
  'vsphere-login-failed': 500,
  'vsphere-wsdl-missing': 500,
  'vsphere-file-not-found': 500,
  'vsphere-datastore-http': 500,
  'vm-not-found': 500,
  'backup-quiesce-failed': 500,
  'backup-pre-hook-failed': 500,
  'backup-no-disks': 500,
  'backup-vm-unplaced': 500,
  'backup-disk-unsupported': 500,
  'repository-damaged': 500,
  'hook-failed': 500,
  'hook-timeout': 500,
  'hook-set-missing': 500,
  'script-start': 500,
  'script-timeout': 500,
  'script-failed': 500,
  'recovery-state-invalid': 500,
  'cleanup-timeout': 500,
  'registration-server-unreachable': 500,
  'registration-server-thumbprint-mismatch': 500,
  'registration-exists': 500,
  'registration-missing': 500,
  'registration-vanished': 500,
  'registration-no-manifest': 500,
  'registration-server-thumbprint-unconfirmed': 500,
  'config-invalid': 500,
  'secret-file-exposed': 500,
  'store-passphrase-missing': 500,
  'tls-invalid': 500,
  'tls-incomplete': 500,
  'replica-missing': 404,
  'replication-site-unknown': 500,
  'replication-link-failed': 502,
  'replication-refused': 502,
  'dr-mapping-missing': 409,
  'dr-plan-step-failed': 500,
  'dr-source-unreachable': 503,
  'dr-planned-refused': 409,
  'dr-planned-backup-failed': 500,
  'dr-planned-replication-failed': 500,
  'dr-planned-source-failed': 502,
  'dr-failback-refused': 409,
  'dr-failback-source-failed': 502,
  'dr-failback-interrupted': 409,
  'object-copy-not-configured': 500,
};

/** 500s whose message names damaged data or a failed restore rather than a bug: shown as they are. */
const TOLD_500 = new Set<string>(['chunk-corrupt', 'index-invalid', 'manifest-invalid', 'catalog-unreadable', 'catalog-integrity', 'restore-chunk-corrupt', 'restore-chunk-missing', 'restore-rollback-failed']);

/** Codes for client errors that HTTP middleware (body parsing) reports with a bare status. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

interface ProblemMembers {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
}

export interface Problem extends ProblemMembers {
  readonly [extension: string]: unknown;
}

/** Members of a problem that details of a LifelineError may not overwrite. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'errorId']);

/** The HTTP status Lifeline answers for an error code. */
export function statusForCode(code: string): number {
  return (STATUS_BY_CODE as Readonly<Record<string, number>>)[code] ?? 500;
}

/** What an error becomes on the wire, given the id of the request it ended. */
export function toProblem(err: unknown, requestId: string): Problem {
  const base = (status: number, code: string, detail: string): ProblemMembers => ({
    // Problems are told apart by `code`; no documentation URI exists to point `type` at.
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: `urn:uuid:${requestId}`,
    code,
  });

  if (isLifelineError(err)) {
    const status = statusForCode(err.code);
    if (status === 500 && !TOLD_500.has(err.code)) return internal(base, requestId);
    const extensions = Object.fromEntries(Object.entries(err.details).filter(([k]) => !RESERVED.has(k)));
    if (status === 400 && !Array.isArray(extensions['errors'])) {
      // Every 400 lists its faults the same way, whether one field or many were wrong.
      const field = typeof err.details['field'] === 'string' ? err.details['field'] : typeof err.details['parameter'] === 'string' ? err.details['parameter'] : null;
      if (field !== null) extensions['errors'] = [{ field, message: err.message }];
    }
    const problem = { ...extensions, ...base(status, err.code, err.message) };
    return status >= 500 ? { ...problem, errorId: requestId } : problem;
  }
  const httpStatus = clientErrorStatus(err);
  if (httpStatus !== null) {
    const code = CODE_BY_STATUS[httpStatus] ?? 'bad-request';
    // http-errors marks messages that are safe to show with `expose`; others get the phrase.
    const exposed = (err as { expose?: unknown }).expose === true && err instanceof Error;
    return { ...base(httpStatus, code, exposed ? err.message : (STATUS_CODES[httpStatus] ?? 'Bad request')) };
  }
  return internal(base, requestId);
}

function internal(
  base: (status: number, code: string, detail: string) => ProblemMembers,
  requestId: string,
): Problem {
  return {
    ...base(500, 'internal', `Lifeline met an unexpected error. Quote error id ${requestId} when reporting it.`),
    errorId: requestId,
  };
}

/** The 4xx status of an error thrown by HTTP middleware (body-parser and the like), if any. */
function clientErrorStatus(err: unknown): number | null {
  if (err === null || typeof err !== 'object') return null;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const s = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : null;
  return s !== null && Number.isInteger(s) && s >= 400 && s < 500 ? s : null;
}

export function sendProblem(res: Response, problem: Problem): void {
  if (problem.status === 401) {
    // RFC 9110 asks a 401 to name the scheme; the vSphere Client's session token is it.
    res.setHeader('WWW-Authenticate', 'vmware-api-session-id');
  }
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** The catch-all for routes nothing answered. */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(new NotFoundError(`No resource at ${req.method} ${req.path}`, { path: req.path }));
  };
}

/**
 * The one error middleware. 5xx are logged at error level with the stack (the log is the
 * administrator's, the body is the user's); 4xx at debug, since they are the caller's mistakes.
 */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    const { id: requestId, signal } = requestContext(req);
    if (signal.aborted && (res.destroyed || !res.writable)) {
      // The client went away (or sent garbage that closed the connection): nobody to answer, and
      // nothing failed on the server's side.
      log.info('request ended: the client closed the connection', { requestId, method: req.method, path: pathOf(req) });
      return;
    }
    if (res.headersSent) {
      // Too late for a problem document; end the response so the client sees it broken.
      log.error('request failed after the response started', { requestId, ...describe(err) });
      next(err);
      return;
    }
    const problem = toProblem(err, requestId);
    if (problem.status >= 500) {
      log.error('request failed', { requestId, errorId: requestId, method: req.method, path: pathOf(req), status: problem.status, ...describe(err) });
    } else {
      log.debug('request refused', { requestId, method: req.method, path: pathOf(req), status: problem.status, code: problem.code });
    }
    sendProblem(res, problem);
  };
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return {
      code: err instanceof LifelineError ? err.code : undefined,
      error: err.message,
      errorName: err.name,
      stack: err.stack,
      cause: err.cause instanceof Error ? err.cause.message : undefined,
    };
  }
  return { error: String(err) };
}

/** The request's path without its query string, which may carry tokens. */
function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? '';
}
