/**
 * vSphere Client context objects carry managed object ids of the form
 * `urn:vmomi:<Type>:<moref value>:<vCenter GUID>`. Lifeline's server identifies a VM by the pair
 * (vCenter GUID, moref), and picks the vCenter from its own configuration by that GUID.
 */

export interface VsphereObjectRef {
  /** The managed object type, such as `VirtualMachine` or `Datastore`. */
  readonly type: string;
  /** The managed object reference value, such as `vm-58`. */
  readonly moref: string;
  /** The GUID of the vCenter Server instance the object belongs to. */
  readonly vcGuid: string;
}

const PREFIX = 'urn:vmomi:';

/** Returns null for anything that is not a well-formed vmomi URN rather than guessing. */
export function parseContextObjectId(id: string): VsphereObjectRef | null {
  if (!id.startsWith(PREFIX)) {
    return null;
  }
  const parts = id.slice(PREFIX.length).split(':');
  if (parts.length < 3) {
    return null;
  }
  const type = parts[0] ?? '';
  const vcGuid = parts[parts.length - 1] ?? '';
  // A moref value has no colon in any vCenter we know of, but joining keeps one intact if it does.
  const moref = parts.slice(1, -1).join(':');
  if (!type || !moref || !vcGuid) {
    return null;
  }
  return { type, moref, vcGuid };
}

/** The first VirtualMachine among the ids, the object a VM tab or VM action was opened for. */
export function findContextVm(ids: readonly string[]): VsphereObjectRef | null {
  for (const id of ids) {
    const ref = parseContextObjectId(id);
    if (ref?.type === 'VirtualMachine') {
      return ref;
    }
  }
  return null;
}

/** The vSphere Client's id for an object, which the Lifeline API also names VMs by. */
export function contextObjectId(ref: VsphereObjectRef): string {
  return `${PREFIX}${ref.type}:${ref.moref}:${ref.vcGuid}`;
}
