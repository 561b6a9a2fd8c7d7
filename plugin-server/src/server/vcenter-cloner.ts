/**
 * Makes user sessions for the API: the clone ticket from the vSphere Client endpoint, then
 * SessionManager.CloneSession on a fresh vim25 connection of the vSphere adapter, pinned to the
 * configured thumbprint. The resulting session checks privileges with
 * AuthorizationManager.HasPrivilegeOnEntities and lists VMs through the property collector, both
 * as the user, so vCenter's permissions decide.
 */
import type { Logger } from '../log/index.js';
import { openVcenter } from '../vsphere/index.js';
import { acquireCloneTicket } from '../api/auth/clone-ticket.js';
import { AuthenticationError, SessionLostError, type MoRef, type SessionCloner, type UserSession, type VcenterTarget } from '../api/auth/ports.js';
import type { VmInventory, VmSummary } from '../api/routes/vms.js';

/** A vim25 connection as the API uses it; the vSphere adapter provides it. */
export interface VimConnection {
  /** The inventory root (ServiceContent.rootFolder). */
  readonly rootFolder: MoRef;
  /** SessionManager.CloneSession: logs this connection in as the ticket's user. */
  cloneSession(ticket: string, signal: AbortSignal): Promise<{ readonly key: string; readonly userName: string }>;
  /** AuthorizationManager.HasPrivilegeOnEntities for one entity and one session. */
  hasPrivileges(entity: MoRef, sessionKey: string, privileges: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, boolean>>;
  /** Every VM the connection's user can see. */
  listVms(signal: AbortSignal): Promise<readonly VmSummary[]>;
  /** SessionManager.Logout, then the connection is closed. */
  logout(signal: AbortSignal): Promise<void>;
  /** Closes the connection without a Logout (when no session was made on it). */
  close(): void;
  /** Whether an error from a call on this connection means vCenter no longer knows the session. */
  isNotAuthenticated(err: unknown): boolean;
  /** Whether an error from CloneSession means the ticket was refused (InvalidLogin). */
  isInvalidLogin(err: unknown): boolean;
}

/** Opens an unauthenticated connection to a vCenter. */
export type VimConnect = (vcenter: VcenterTarget, signal: AbortSignal) => Promise<VimConnection>;

export type VcenterUserSession = UserSession & VmInventory;

class ClonedSession implements VcenterUserSession {
  constructor(
    private readonly conn: VimConnection,
    private readonly key: string,
    readonly userName: string,
  ) {}

  get rootFolder(): MoRef {
    return this.conn.rootFolder;
  }

  hasPrivileges(entity: MoRef, privileges: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, boolean>> {
    return this.guard(this.conn.hasPrivileges(entity, this.key, privileges, signal));
  }

  listVms(signal: AbortSignal): Promise<readonly VmSummary[]> {
    return this.guard(this.conn.listVms(signal));
  }

  logout(signal: AbortSignal): Promise<void> {
    return this.conn.logout(signal);
  }

  /** Turns the adapter's NotAuthenticated fault into the API's SessionLostError. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      if (this.conn.isNotAuthenticated(err)) throw new SessionLostError(undefined, { cause: err });
      throw err;
    }
  }
}

export interface VcenterClonerDeps {
  readonly connect: VimConnect;
}

export function createVcenterClonerWith(deps: VcenterClonerDeps): SessionCloner<VcenterUserSession> {
  return {
    async clone(vcenter, token, signal) {
      const ticket = await acquireCloneTicket(vcenter, token, signal);
      const conn = await deps.connect(vcenter, signal);
      try {
        const session = await conn.cloneSession(ticket, signal);
        return new ClonedSession(conn, session.key, session.userName);
      } catch (err) {
        conn.close();
        if (conn.isInvalidLogin(err)) {
          throw new AuthenticationError('vCenter refused the clone ticket.', { vcenter: vcenter.guid }, { cause: err });
        }
        throw err;
      }
    },
    async validate(vcenter, token, signal) {
      // The same question the clone asks first: vCenter answers 401 for a token it no longer knows.
      // The ticket it hands out is not used; vCenter lets an unused ticket lapse.
      await acquireCloneTicket(vcenter, token, signal);
    },
  };
}

/**
 * The production cloner: vim25 connections of the vSphere adapter. Keep-alive is off: a user's
 * session should lapse when its user stops using Lifeline, and the session cache logs it out.
 */
export function createVcenterCloner(deps: { readonly log: Logger }): SessionCloner<VcenterUserSession> {
  return createVcenterClonerWith({
    connect: (vcenter, signal) => openVcenter({ url: vcenter.url, thumbprint: vcenter.thumbprint, log: deps.log, keepAliveMs: 0 }, signal),
  });
}
