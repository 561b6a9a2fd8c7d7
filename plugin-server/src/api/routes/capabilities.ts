/**
 * What the caller may do on a VM, so that the UI shows only the actions the API would run:
 *
 *   GET  /api/v1/vms/{vmId}/capabilities       → { protect, restore, admin } for the caller on that VM
 *   GET  /api/v1/capabilities                  → the same on the inventory root of the session's vCenter
 *   POST /lifeline/<A.B.C.D>/dynamic-items/vm  → the vSphere Client's dynamic-extension query
 *
 * The second is the vSphere Client's SPI for dynamic extensions (7.0 U1+, manifest requirement
 * `plugin.dynamic.extensions`): a menu group with a `dynamicUri` in plugin.json and actions marked
 * `dynamic: true` are shown only when this endpoint says so. The client resolves the `dynamicUri`
 * against plugin.json's folder, as it does view URIs, so the endpoint sits under the same versioned
 * path and its item ids always match the manifest served beside it. It POSTs
 * `{ apiVersion, objectIds, locale }` with the user's `vmware-api-session-id`, and reads
 * `{ apiVersion, dynamicItems: [{ id, visible }] }`.
 *
 * Both only hide: every route still checks its own privilege, so a hidden action called anyway is
 * refused with 403 as before. The privilege questions go through the same cloned, cached user
 * session as every route (the Authorizer), and ask all privileges of one object in one
 * HasPrivilegeOnEntities call.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { ValidationError } from '../../errors/index.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { MoRef, UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import { parseVmId, type ParsedVmId } from './vm-id.js';

/** What a user may do on one VM, by Lifeline privilege. */
export interface VmCapabilities {
  /** Assign or remove protection, back up now. */
  readonly protect: boolean;
  /** Revert, new instance, clone and attach, detach, cancel or make permanent a revert, export. */
  readonly restore: boolean;
  /** Policies and the audit log. */
  readonly admin: boolean;
}

export type Capability = keyof VmCapabilities;

/** The dynamic items of the VirtualMachine extension, by manifest id, and what each needs. */
export const VM_DYNAMIC_ITEMS: Readonly<Record<string, Capability>> = {
  'lifeline.vm.backupNow': 'protect',
  'lifeline.vm.recover': 'restore',
  'lifeline.vm.cloneAttach': 'restore',
};

/** The `dynamicUri` of the VirtualMachine menu in plugin.json, relative to plugin.json. */
export const VM_DYNAMIC_ITEMS_URI = 'dynamic-items/vm';

/** The SPI version Lifeline answers with. */
export const DYNAMIC_ITEMS_API_VERSION = '1.0.0';

/** The vSphere Client asks about the objects of one selection; more than this is not a selection. */
export const MAX_DYNAMIC_TARGETS = 100;
/** Targets checked at once, so one large selection does not flood the vCenter. */
const TARGET_CONCURRENCY = 8;

const CAPABILITY_PRIVILEGES: Readonly<Record<Capability, string>> = PRIVILEGES;

/** The privileges asked about together: read first, then one per capability. */
const ASKED = [READ_PRIVILEGE, ...Object.values(CAPABILITY_PRIVILEGES)];

/** A user's capabilities from what HasPrivilegeOnEntities granted on the object. */
export function capabilitiesOf(granted: ReadonlyMap<string, boolean>): VmCapabilities {
  const has = (c: Capability): boolean => granted.get(CAPABILITY_PRIVILEGES[c]) === true;
  return { protect: has('protect'), restore: has('restore'), admin: has('admin') };
}

/** Which dynamic items to show for a selection: each only if its capability holds on every target. */
export function visibleItems(perTarget: readonly VmCapabilities[]): Array<{ id: string; visible: boolean }> {
  return Object.entries(VM_DYNAMIC_ITEMS).map(([id, needs]) => ({
    id,
    visible: perTarget.length > 0 && perTarget.every((c) => c[needs]),
  }));
}

const vmEntity = (moref: string): MoRef => ({ type: 'VirtualMachine', value: moref });

/** GET /api/v1/vms/{vmId}/capabilities; reading them needs System.Read on the VM, like reading the VM. */
export function capabilityRoutes<S extends UserSession>(auth: Authorizer<S>): Router {
  const router = Router();
  router.get(
    '/vms/:vmId/capabilities',
    // Read is required; the three others are asked in the same HasPrivilegeOnEntities call, and a
    // cached session that has ended is cloned afresh like on every other route.
    auth.require({
      privileges: [READ_PRIVILEGE],
      alsoAsk: ASKED,
      entity: (req) => vmEntity(parseVmId(req.params['vmId']).moref),
      vcenterGuid: (req) => parseVmId(req.params['vmId']).vcenterGuid,
    }),
    (req, res) => {
      res.json(capabilitiesOf(authorizedCall<S>(req).granted));
    },
  );
  // The global views' actions (pairings, recovery plans) act at the inventory root.
  router.get('/capabilities', auth.require({ privileges: [READ_PRIVILEGE], alsoAsk: ASKED }), (req, res) => {
    res.json(capabilitiesOf(authorizedCall<S>(req).granted));
  });
  return router;
}

/** The body of the vSphere Client's query: the ids of the selected objects. */
function targetsOf(req: Request): ParsedVmId[] {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('The body must be a JSON object with objectIds, the ids of the selected VMs.', { field: 'objectIds' });
  }
  const ids = (body as Record<string, unknown>)['objectIds'];
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new ValidationError('objectIds must be a non-empty array of VM ids.', { field: 'objectIds' });
  }
  if (ids.length > MAX_DYNAMIC_TARGETS) {
    throw new ValidationError(`objectIds names ${ids.length} objects; at most ${MAX_DYNAMIC_TARGETS} are answered at once.`, { field: 'objectIds' });
  }
  const targets = ids.map((id, i) => parseVmId(id, `objectIds[${i}]`));
  const guids = new Set(targets.map((t) => t.vcenterGuid).filter((g): g is string => g !== null));
  if (guids.size > 1) {
    throw new ValidationError('objectIds name VMs of more than one vCenter; ask for each vCenter on its own.', { field: 'objectIds' });
  }
  return targets;
}

/** Runs `work` on every item, at most `limit` at a time, keeping the order of the answers. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * POST dynamic-items/vm (mounted under the versioned plugin path). A user who may not read a
 * target is told to see none of the dynamic items: nothing is refused here, only hidden. The
 * vSphere Client expects `{ apiVersion, dynamicItems }` with 200 whatever happens, so a query it
 * cannot be answered for (no or an expired session, a selection that is not VMs of one vCenter, a
 * privilege check that fails) is answered 200 with every dynamic item hidden; the actions, were
 * they called anyway, are still refused by their own checks.
 */
export function dynamicItemRoutes<S extends UserSession>(auth: Authorizer<S>): Router {
  const router = Router();
  router.use(`/${VM_DYNAMIC_ITEMS_URI}`, (_req, res, next) => {
    // The answer is per user and per selection: no cache may keep it.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.post(
    `/${VM_DYNAMIC_ITEMS_URI}`,
    express.json({ limit: '64kb' }),
    auth.require({
      privileges: [],
      vcenterGuid: (req) => targetsOf(req)[0]?.vcenterGuid ?? null,
    }),
    async (req, res) => {
      const { session } = authorizedCall<S>(req);
      const { signal } = requestContext(req);
      const targets = targetsOf(req);
      const perTarget = await mapBounded(targets, TARGET_CONCURRENCY, async (t) => {
        const granted = await session.hasPrivileges(vmEntity(t.moref), ASKED, signal);
        return granted.get(READ_PRIVILEGE) === true ? capabilitiesOf(granted) : { protect: false, restore: false, admin: false };
      });
      res.json({ apiVersion: DYNAMIC_ITEMS_API_VERSION, dynamicItems: visibleItems(perTarget) });
    },
  );
  router.use(`/${VM_DYNAMIC_ITEMS_URI}`, (_err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(_err);
    res.status(200).json({ apiVersion: DYNAMIC_ITEMS_API_VERSION, dynamicItems: hiddenItems() });
  });
  return router;
}

/** Every dynamic item, hidden: the answer when nothing can be shown safely. */
export function hiddenItems(): Array<{ id: string; visible: boolean }> {
  return Object.keys(VM_DYNAMIC_ITEMS).map((id) => ({ id, visible: false }));
}
