/**
 * The errors the vSphere adapter throws. A vim25 fault keeps its fault name (`NotAuthenticated`,
 * `InvalidState`, `FileFault`, ...) and vCenter's message, so callers can decide on the fault and
 * an administrator reads what vCenter said. Nothing here carries a password or session cookie.
 */
import { LifelineError, type VsphereCode } from '../errors/index.js';

/** A vim25 fault answered to a call (a SOAP fault), or the fault a task ended with. */
export class VimFaultError extends LifelineError {
  /** The vim25 fault type, e.g. `InvalidState`; `SystemError` style names for generic faults. */
  readonly faultName: string;
  /** The fault's own properties as vCenter sent them (strings, numbers, nested objects). */
  readonly faultProperties: Readonly<Record<string, unknown>>;

  constructor(
    faultName: string,
    message: string,
    context: { method?: string; task?: string; faultProperties?: Record<string, unknown> } = {},
    code: VsphereCode = 'vsphere-fault',
  ) {
    const where = context.task !== undefined ? `task ${context.task}` : (context.method ?? 'vCenter call');
    super(code, `${where} failed with ${faultName}${message ? `: ${message}` : ''}`, {
      faultName,
      ...(context.method !== undefined ? { method: context.method } : {}),
      ...(context.task !== undefined ? { task: context.task } : {}),
    });
    this.faultName = faultName;
    this.faultProperties = context.faultProperties ?? {};
  }
}

/** A vCenter task ended in error; the task's fault name and message are kept. */
export class VimTaskError extends VimFaultError {
  readonly task: string;

  constructor(task: string, description: string, faultName: string, message: string, faultProperties: Record<string, unknown> = {}) {
    super(faultName, message, { task: `${description} (${task})`, faultProperties }, 'vsphere-task-failed');
    this.task = task;
  }
}

/** The server presented a certificate other than the pinned one; nothing was sent to it. */
export class ThumbprintMismatchError extends LifelineError {
  constructor(
    readonly host: string,
    readonly presented: string,
    readonly expected: string,
  ) {
    super(
      'vsphere-thumbprint-mismatch',
      `the certificate of ${host} has the SHA-256 thumbprint ${presented}, but the configured thumbprint is ${expected}; ` +
        'check that the URL names the right vCenter, then update the configured thumbprint if its certificate was replaced',
      { host, presented, expected },
    );
  }
}

/** vCenter refused the user name or password (InvalidLogin). The password is never part of it. */
export class VimLoginError extends LifelineError {
  constructor(userName: string, options?: { cause?: unknown }) {
    super('vsphere-login-failed', `vCenter refused the login of ${userName}: wrong user name or password`, { userName }, options);
  }
}

/** vCenter could not be reached, or the connection broke during a call. */
export class VimConnectionError extends LifelineError {
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('vsphere-unreachable', `vCenter ${url} cannot be reached: ${reason}`, { url }, options);
  }
}

/** vCenter answered something Lifeline cannot read (not SOAP, or a reply of an unexpected shape). */
export class VimProtocolError extends LifelineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('vsphere-protocol', message, details);
  }
}

/** A datastore file transfer (`/folder`) answered with an HTTP error. */
export class DatastoreHttpError extends LifelineError {
  constructor(
    readonly status: number,
    method: string,
    datastorePath: string,
    body: string,
  ) {
    super(
      status === 404 ? 'vsphere-file-not-found' : 'vsphere-datastore-http',
      `${method} of datastore file ${datastorePath} answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`,
      { status, method, datastorePath },
    );
  }
}

/** Whether `err` is a vim25 fault, optionally of one of the given fault names. */
export function isVimFault(err: unknown, ...faultNames: string[]): err is VimFaultError {
  return err instanceof VimFaultError && (faultNames.length === 0 || faultNames.includes(err.faultName));
}

/** Whether vCenter no longer knows the session the call was made with. */
export function isNotAuthenticated(err: unknown): boolean {
  return isVimFault(err, 'NotAuthenticated');
}
