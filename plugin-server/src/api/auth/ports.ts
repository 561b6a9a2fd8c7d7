/**
 * What the API's authorisation needs from a vCenter, declared here so that the vSphere adapter
 * (or anything else) can satisfy it without the API depending on its classes.
 */
import { LifelineError } from '../../errors/index.js';

/** A managed object reference, e.g. `{ type: 'Folder', value: 'group-d1' }`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

/** The vCenter a session belongs to, as Lifeline's configuration names it. */
export interface VcenterTarget {
  readonly guid: string;
  readonly url: string;
  readonly thumbprint: string;
}

/**
 * A vCenter session acting as one user: every call through it is limited to what that user may
 * see and do. Calls fail with {@link SessionLostError} when vCenter no longer knows the session.
 */
export interface UserSession {
  readonly userName: string;
  /** The inventory root, on which privileges for inventory-wide reads are checked. */
  readonly rootFolder: MoRef;
  /** For each privilege asked about, whether the session's user holds it on `entity`. */
  hasPrivileges(entity: MoRef, privileges: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, boolean>>;
  /** Ends the session on the vCenter. */
  logout(signal: AbortSignal): Promise<void>;
}

/** Turns the vSphere Client's session token into a session of the same user on that vCenter. */
export interface SessionCloner<S extends UserSession> {
  /** Rejects with {@link AuthenticationError} when the vCenter does not accept the token. */
  clone(vcenter: VcenterTarget, token: string, signal: AbortSignal): Promise<S>;
  /**
   * Asks the vCenter whether it still accepts the token; rejects with {@link AuthenticationError}
   * when it does not (the user logged out, or the token expired).
   */
  validate(vcenter: VcenterTarget, token: string, signal: AbortSignal): Promise<void>;
}

/** The caller has no valid vCenter session: no token, an unknown one, or one that has ended. */
export class AuthenticationError extends LifelineError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('unauthenticated', message, details, options);
  }
}

/** A session Lifeline held has ended on the vCenter (timed out, logged out, vCenter restarted). */
export class SessionLostError extends AuthenticationError {
  constructor(message = 'The vCenter session has ended.', options?: { cause?: unknown }) {
    super(message, {}, options);
  }
}

/** The caller's user lacks a privilege on the object the call concerns. */
export class PermissionError extends LifelineError {
  /** Kept out of `details` (which become the problem body) but known to the audit log. */
  readonly userName: string;

  constructor(privilege: string, entity: MoRef, userName: string) {
    super('forbidden', `${userName} lacks the privilege ${privilege} on ${entity.type} ${entity.value}.`, {
      privilege,
      entity: `${entity.type}:${entity.value}`,
    });
    this.userName = userName;
  }
}
