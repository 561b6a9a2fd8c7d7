/**
 * Reading properties through the PropertyCollector: RetrievePropertiesEx, then
 * ContinueRetrievePropertiesEx for as long as vCenter hands out a token, and container views for
 * "every object of these types under that folder". A retrieval and its view are bound to the
 * session, so each runs as one unit that is started again after a new login.
 */
import { describeError } from '../errors/index.js';
import type { VimSession } from './vim-session.js';
import { VimFaultError } from './vim-errors.js';
import { arrayOf, asArray, decodeMoRef, encodeMoRef, field, plain, str, typed, xsiType, type MoRef } from './vim-values.js';

/** The properties read for one managed object, by property path. */
export interface ObjectProperties {
  readonly obj: MoRef;
  readonly props: ReadonlyMap<string, unknown>;
  /** Paths vCenter could not read for this object (no permission, not set up), with the fault name. */
  readonly missing: ReadonlyMap<string, string>;
}

/** Which properties to read from objects of one type. */
export interface PropertyRequest {
  readonly type: string;
  readonly paths: readonly string[];
}

/** One starting object and, optionally, traversal specs from it. */
export interface ObjectRequest {
  readonly obj: MoRef;
  /** Leave the starting object itself out of the result (it only leads to others). */
  readonly skip?: boolean;
  readonly selectSet?: readonly Record<string, unknown>[];
}

/** Objects per page; vCenter may send fewer and continue with a token. */
const PAGE_SIZE = 500;

/** A TraversalSpec (a path from one object type to others) in vim25 form. */
export function traversalSpec(name: string, type: string, path: string, selectSet: readonly Record<string, unknown>[] = []): Record<string, unknown> {
  return typed('TraversalSpec', {
    name,
    type,
    path,
    skip: false,
    ...(selectSet.length > 0 ? { selectSet: [...selectSet] } : {}),
  });
}

/** A PropertyFilterSpec in vim25 form. */
export function filterSpec(objects: readonly ObjectRequest[], props: readonly PropertyRequest[]): Record<string, unknown> {
  return {
    propSet: props.map((p) => ({ type: p.type, all: false, pathSet: [...p.paths] })),
    objectSet: objects.map((o) => ({
      obj: encodeMoRef(o.obj),
      skip: o.skip ?? false,
      ...(o.selectSet && o.selectSet.length > 0 ? { selectSet: [...o.selectSet] } : {}),
    })),
  };
}

function decodeObject(raw: unknown): ObjectProperties | undefined {
  const obj = decodeMoRef(field(raw, 'obj'));
  if (!obj) return undefined;
  const props = new Map<string, unknown>();
  for (const p of asArray(field(raw, 'propSet'))) {
    const name = str(field(p, 'name'));
    if (name !== undefined) props.set(name, field(p, 'val'));
  }
  const missing = new Map<string, string>();
  for (const m of asArray(field(raw, 'missingSet'))) {
    const path = str(field(m, 'path'));
    if (path !== undefined) missing.set(path, xsiType(field(field(m, 'fault'), 'fault')) ?? 'SystemError');
  }
  return { obj, props, missing };
}

/**
 * RetrievePropertiesEx over all pages. Calls go through `session.raw`: the caller runs this inside
 * `session.withSession`, together with any view the objects came from.
 */
async function retrievePages(session: VimSession, spec: Record<string, unknown>, signal?: AbortSignal): Promise<ObjectProperties[]> {
  const pc = encodeMoRef(session.serviceContent.propertyCollector);
  const out: ObjectProperties[] = [];
  let reply = await session.raw('RetrievePropertiesEx', { _this: pc, specSet: [spec], options: { maxObjects: PAGE_SIZE } }, signal);
  for (;;) {
    for (const o of arrayOf(field(reply, 'objects'), 'objects')) {
      const d = decodeObject(o);
      if (d) out.push(d);
    }
    const token = str(field(reply, 'token'));
    if (token === undefined) return out;
    if (signal?.aborted) {
      // Free the server-side result set; the abort itself is what the caller hears about.
      await session.raw('CancelRetrievePropertiesEx', { _this: pc, token }).catch((err: unknown) => {
        session.log?.warn('CancelRetrievePropertiesEx failed', { error: describeError(err) });
      });
      signal.throwIfAborted();
    }
    reply = await session.raw('ContinueRetrievePropertiesEx', { _this: pc, token }, signal);
  }
}

/** Reads properties of the given objects (and of what their traversal specs lead to). */
export function retrieveProperties(
  session: VimSession,
  objects: readonly ObjectRequest[],
  props: readonly PropertyRequest[],
  signal?: AbortSignal,
): Promise<ObjectProperties[]> {
  return session.withSession(() => retrievePages(session, filterSpec(objects, props), signal), signal);
}

/** Reads properties of one object; a ManagedObjectNotFound fault when it does not exist. */
export async function retrieveOne(session: VimSession, obj: MoRef, paths: readonly string[], signal?: AbortSignal): Promise<ObjectProperties> {
  const [found] = await retrieveProperties(session, [{ obj }], [{ type: obj.type, paths }], signal);
  if (!found) {
    throw new VimFaultError('ManagedObjectNotFound', `${obj.type} ${obj.value} does not exist`, {
      method: 'RetrievePropertiesEx',
      faultProperties: { obj: plain(encodeMoRef(obj)) },
    });
  }
  return found;
}

/**
 * Reads properties of every object of the given types below `container` through a ContainerView,
 * plus those of `extra` objects, in one retrieval. The view is destroyed afterwards.
 */
export function retrieveFromContainer(
  session: VimSession,
  container: MoRef,
  types: readonly string[],
  props: readonly PropertyRequest[],
  signal?: AbortSignal,
  extra: readonly ObjectRequest[] = [],
): Promise<ObjectProperties[]> {
  const viewManager = encodeMoRef(session.manager('viewManager'));
  return session.withSession(async () => {
    const view = decodeMoRef(
      await session.raw('CreateContainerView', { _this: viewManager, container: encodeMoRef(container), type: [...types], recursive: true }, signal),
    );
    if (!view) throw new VimFaultError('SystemError', 'CreateContainerView returned no view', { method: 'CreateContainerView' });
    try {
      const objects: ObjectRequest[] = [{ obj: view, skip: true, selectSet: [traversalSpec('view', 'ContainerView', 'view')] }, ...extra];
      return await retrievePages(session, filterSpec(objects, props), signal);
    } finally {
      // A view left behind costs vCenter memory until the session ends; failing to drop it is not
      // worth failing the read for.
      await session.raw('DestroyView', { _this: encodeMoRef(view) }).catch((err: unknown) => {
        session.log?.warn('DestroyView failed', { view: view.value, error: describeError(err) });
      });
    }
  }, signal);
}
