/**
 * Every /api/v1 call except health runs as the calling user: the vSphere Client sends its session
 * token in `vmware-api-session-id`, Lifeline clones that user's session on the vCenter named in its
 * own configuration, and checks the privilege the route needs on the object the route concerns
 * before the handler runs. There is no switch to turn this off.
 *
 * Which vCenter: the `lifeline-vc-guid` header names one of the configured vCenters by instance
 * UUID (the UI knows it from its context object ids); without the header, the only configured
 * vCenter is meant. The URL called is always the configured one.
 */
import type { Request, RequestHandler } from 'express';
import { LifelineError, describeError } from '../../errors/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import { requestContext } from '../request-context.js';
import type { SessionCache, SessionLease } from './session-cache.js';
import { AuthenticationError, PermissionError, type MoRef, type UserSession, type VcenterTarget } from './ports.js';

export const SESSION_HEADER = 'vmware-api-session-id';
export const VCENTER_HEADER = 'lifeline-vc-guid';

export interface AuthorizedCall<S extends UserSession> {
  readonly session: S;
  readonly vcenter: VcenterTarget;
  /** What HasPrivilegeOnEntities answered for the required and the `alsoAsk` privileges. */
  readonly granted: ReadonlyMap<string, boolean>;
  /**
   * Aborted when the session ends: vCenter refused the user's token, the session reached its
   * lifetime, or the server stops. Whatever a request holds open (an event stream) ends with it.
   */
  readonly sessionEnded: AbortSignal;
}

/** What a route needs: privileges, all of which must be held on the entity. */
export interface Requirement<S extends UserSession> {
  /**
   * Runs once the caller is authenticated, before the privileges are looked at: loads and checks
   * what the entity is decided from (e.g. a restore point against its sealed manifest), so that
   * `privileges` and `entity` can read it synchronously. Nothing is loaded for anonymous callers.
   */
  readonly prepare?: (req: Request, signal: AbortSignal) => Promise<void>;
  /** Fixed, or chosen from the request (e.g. by the kind of job a cancel concerns). */
  readonly privileges: readonly string[] | ((req: Request) => readonly string[]);
  /** The object the call concerns; the inventory root when omitted. */
  readonly entity?: (req: Request, session: S) => MoRef;
  /**
   * The vCenter the object's id names (e.g. the GUID in a `urn:vmomi:` id), if it names one; it
   * must agree with the header when both are given.
   */
  readonly vcenterGuid?: (req: Request) => string | null;
  /**
   * Privileges to ask about in the same HasPrivilegeOnEntities call without requiring them, for a
   * route that tells the caller what they may do; the answers are in {@link AuthorizedCall.granted}.
   */
  readonly alsoAsk?: readonly string[];
}

const calls = new WeakMap<Request, AuthorizedCall<UserSession>>();
/** The vCenter a request was resolved to, kept even when authorisation then fails (for the audit log). */
const vcenterOfRequest = new WeakMap<Request, VcenterTarget>();

/** The authorised session of a request, or undefined when it was not (or not yet) authorised. */
export function findAuthorizedCall<S extends UserSession>(req: Request): AuthorizedCall<S> | undefined {
  return calls.get(req) as AuthorizedCall<S> | undefined;
}

/** The vCenter a request concerns, once its authorisation has resolved it. */
export function requestVcenter(req: Request): VcenterTarget | undefined {
  return vcenterOfRequest.get(req);
}

/** The authorised session of a request that passed {@link Authorizer.require}. */
export function authorizedCall<S extends UserSession>(req: Request): AuthorizedCall<S> {
  const call = calls.get(req);
  if (!call) throw new Error('authorizedCall() used on a route without authorisation');
  // The map is filled only by an Authorizer<S>, whose routes ask with the same S.
  return call as AuthorizedCall<S>;
}

/**
 * Checks, with the caller's own session, privileges on objects a route acts on besides the one
 * its requirement names (e.g. the datastore and pool a restore places a VM in). Every missing one
 * is a PermissionError naming the first privilege lacking and its object.
 */
export async function requireOnEach(
  session: UserSession,
  checks: ReadonlyArray<{ readonly entity: MoRef; readonly privileges: readonly string[] }>,
  signal: AbortSignal,
): Promise<void> {
  for (const { entity, privileges } of checks) {
    const granted = await session.hasPrivileges(entity, privileges, signal);
    const missing = privileges.find((p) => granted.get(p) !== true);
    if (missing !== undefined) throw new PermissionError(missing, entity, session.userName);
  }
}

export class Authorizer<S extends UserSession> {
  constructor(
    private readonly sessions: SessionCache<S>,
    private readonly vcenters: ReadonlyMap<string, VcenterTarget>,
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * Checks again, later and without a request of the user's, that the user of `token` still holds
   * `privileges` on `entity` (the inventory root when null) on that vCenter, through the session
   * cache: so the session's re-validation and lifetime apply. For what a request handed out to be
   * used later (a download link). AuthenticationError once the session has ended.
   */
  async recheck(vcenterGuid: string, token: string, entity: MoRef | null, privileges: readonly string[], signal: AbortSignal): Promise<void> {
    const vcenter = this.vcenters.get(vcenterGuid);
    if (!vcenter) throw new AuthenticationError('Lifeline no longer serves the vCenter of this session.');
    const lease = await this.sessions.acquire(vcenter, token, signal);
    try {
      const target = entity ?? lease.session.rootFolder;
      const granted = await lease.session.hasPrivileges(target, privileges, signal);
      const missing = privileges.find((p) => granted.get(p) !== true);
      if (missing !== undefined) throw new PermissionError(missing, target, lease.session.userName);
      lease.release();
    } catch (err) {
      if (err instanceof AuthenticationError) lease.discard();
      else lease.release();
      throw err;
    }
  }

  /** Every vCenter Lifeline serves, by instance UUID. */
  get vcenterGuids(): string[] {
    return [...this.vcenters.keys()];
  }

  /** Middleware that authenticates the caller and checks the requirement. */
  require(requirement: Requirement<S>): RequestHandler {
    return async (req, res, next) => {
      const { signal } = requestContext(req);
      const token = req.get(SESSION_HEADER)?.trim();
      if (!token) {
        throw new AuthenticationError(`The request carries no ${SESSION_HEADER} header.`);
      }
      const vcenter = this.vcenterOf(req, requirement.vcenterGuid?.(req) ?? null);
      vcenterOfRequest.set(req, vcenter);
      // Listen before the first await: the response may close while the session is being made.
      let lease: SessionLease<S> | null = null;
      let closed = false;
      res.once('close', () => {
        closed = true;
        lease?.release();
      });
      const authorized = await this.authorize(vcenter, token, requirement, req, signal);
      lease = authorized.lease;
      if (closed) {
        lease.release();
        return;
      }
      calls.set(req, { session: lease.session, vcenter, granted: authorized.granted, sessionEnded: lease.signal });
      next();
    };
  }

  /**
   * Checks `privileges` on the inventory root of each of `guids` other than the request's own
   * vCenter (already checked), with a session of the same user there (the same token, as the
   * vSphere Client's single sign-on allows): for shared objects, such as a policy protecting VMs
   * of several vCenters, that need Admin on every vCenter they affect. A vCenter that does not
   * know the user refuses like a missing privilege.
   */
  async requireOnVcenters(req: Request, guids: Iterable<string>, privileges: readonly string[]): Promise<void> {
    const { signal } = requestContext(req);
    const token = req.get(SESSION_HEADER)?.trim() ?? '';
    const own = requestVcenter(req)?.guid;
    for (const raw of new Set([...guids].map((g) => g.toLowerCase()))) {
      if (raw === own) continue;
      const vcenter = this.vcenters.get(raw);
      if (!vcenter) continue; // A vCenter no longer configured: nothing of it can be changed through Lifeline.
      let lease: SessionLease<S>;
      try {
        lease = await this.sessions.acquire(vcenter, token, signal);
      } catch (err) {
        if (err instanceof AuthenticationError) {
          throw new LifelineError('forbidden', `This changes what vCenter ${raw} protects; sign in to it with a user holding ${privileges.join(', ')} there.`, {
            vcenter: raw,
            privilege: privileges[0] ?? null,
          });
        }
        throw err;
      }
      try {
        await this.check(lease.session, { privileges }, req, signal);
      } finally {
        lease.release();
      }
    }
  }

  private async authorize(
    vcenter: VcenterTarget,
    token: string,
    requirement: Requirement<S>,
    req: Request,
    signal: AbortSignal,
  ): Promise<{ lease: SessionLease<S>; granted: ReadonlyMap<string, boolean> }> {
    // A cached session may have ended on the vCenter since it was last used (vCenter restarted,
    // an administrator ended it): then clone afresh once. The privilege check is the first call
    // through the session, so nothing has been done on the user's behalf before the retry.
    for (let attempt = 0; ; attempt++) {
      const lease = await this.acquire(vcenter, token, req, signal);
      try {
        const granted = await this.check(lease.session, requirement, req, signal);
        return { lease, granted };
      } catch (err) {
        if (err instanceof AuthenticationError && lease.reused && attempt === 0) {
          lease.discard();
          continue;
        }
        if (err instanceof AuthenticationError) lease.discard();
        else lease.release();
        throw err;
      }
    }
  }

  /**
   * A session for the token. Until vCenter has accepted the token the caller is anonymous: a
   * failure to reach vCenter is logged with its details (URL, TLS or DNS error) and answered
   * with a generic problem that names none of them.
   */
  private async acquire(vcenter: VcenterTarget, token: string, req: Request, signal: AbortSignal): Promise<SessionLease<S>> {
    try {
      return await this.sessions.acquire(vcenter, token, signal);
    } catch (err) {
      if (err instanceof AuthenticationError || signal.aborted || (err instanceof LifelineError && (err.code === 'shutting-down' || err.code === 'queue-full'))) throw err;
      const { id } = requestContext(req);
      this.log.warn('the session token could not be checked with vCenter', { requestId: id, vcenter: vcenter.guid, url: vcenter.url, error: describeError(err) });
      throw new LifelineError('vcenter-unreachable', `vCenter could not be asked to check the session; try again later, quoting request ${id}.`);
    }
  }

  private async check(session: S, requirement: Requirement<S>, req: Request, signal: AbortSignal): Promise<ReadonlyMap<string, boolean>> {
    await requirement.prepare?.(req, signal);
    const privileges = typeof requirement.privileges === 'function' ? requirement.privileges(req) : requirement.privileges;
    const asked = [...new Set([...privileges, ...(requirement.alsoAsk ?? [])])];
    if (asked.length === 0) return new Map();
    const entity = requirement.entity ? requirement.entity(req, session) : session.rootFolder;
    const granted = await session.hasPrivileges(entity, asked, signal);
    const missing = privileges.find((p) => granted.get(p) !== true);
    if (missing !== undefined) throw new PermissionError(missing, entity, session.userName);
    return granted;
  }

  private vcenterOf(req: Request, fromId: string | null): VcenterTarget {
    const header = req.get(VCENTER_HEADER)?.trim().toLowerCase();
    const inId = fromId?.toLowerCase();
    if (header && inId && header !== inId) {
      throw new LifelineError('vcenter-unknown', `The ${VCENTER_HEADER} header names vCenter ${header} but the object id names ${inId}.`, { vcenter: inId });
    }
    const named = header || inId;
    if (named) {
      const vc = this.vcenters.get(named);
      if (!vc) {
        throw new LifelineError('vcenter-unknown', `Lifeline serves no vCenter with instance UUID ${named}.`, { vcenter: named });
      }
      return vc;
    }
    if (this.vcenters.size === 1) return [...this.vcenters.values()][0] as VcenterTarget;
    if (this.vcenters.size === 0) {
      throw new LifelineError('vcenter-not-configured', 'Lifeline has no vCenter configured.');
    }
    throw new LifelineError('vcenter-unknown', `Lifeline serves several vCenters; name one in the ${VCENTER_HEADER} header.`);
  }
}
