/**
 * Lifeline's privileges, in one place: the API checks them, and the vCenter registration declares
 * the custom ones in the extension's `privilegeList` so administrators can put them in roles.
 * Reads need only vCenter's own System.Read on the object concerned (the VM, or the inventory
 * root for lists across vCenter), which every vCenter role includes.
 */
import { EXTENSION_KEY, LIFELINE_PRIVILEGES } from '../registration/index.js';

export { EXTENSION_KEY };

/** vCenter's built-in read privilege. */
export const READ_PRIVILEGE = 'System.Read';

function privilege(suffix: 'Protect' | 'Restore' | 'Admin'): string {
  const id = `${EXTENSION_KEY}.${suffix}`;
  // The registration declares these; an id checked here but never registered could never be granted.
  if (!LIFELINE_PRIVILEGES.some((p) => p.privId === id)) throw new Error(`privilege ${id} is not declared by the registration`);
  return id;
}

export const PRIVILEGES = {
  /** Assign and unassign protection, back up now, keep a restore point longer, cancel those jobs and the VM's replications. */
  protect: privilege('Protect'),
  /** Restore from restore points (revert, new instance, clone and attach). */
  restore: privilege('Restore'),
  /** Create, change and delete protection policies; read the audit log. */
  admin: privilege('Admin'),
} as const;

export type LifelinePrivilege = (typeof PRIVILEGES)[keyof typeof PRIVILEGES];

/** The privilege that lets a user cancel a job of a kind; unknown kinds need Admin. A replication copies what a backup made: what cancelling that backup needs. */
export function cancelPrivilegeFor(kind: string): LifelinePrivilege {
  if (kind === 'backup' || kind === 'retention' || kind === 'replication') return PRIVILEGES.protect;
  if (kind === 'restore' || kind.startsWith('instant-')) return PRIVILEGES.restore;
  return PRIVILEGES.admin;
}
