/**
 * Lifeline's privileges, in one place: the API checks them, and the vCenter registration declares
 * the custom ones in the extension's `privilegeList` so administrators can put them in roles.
 * Reads need only vCenter's own System.Read on the object concerned (the VM, or the inventory
 * root for lists across vCenter), which every vCenter role includes.
 */
export const EXTENSION_KEY = 'com.lifeline.vsphere';

/** vCenter's built-in read privilege. */
export const READ_PRIVILEGE = 'System.Read';

export const PRIVILEGES = {
  /** Assign and unassign protection, back up now, cancel backup jobs. */
  protect: `${EXTENSION_KEY}.Protect`,
  /** Restore from restore points (revert, new instance, clone and attach). */
  restore: `${EXTENSION_KEY}.Restore`,
  /** Create, change and delete protection policies; read the audit log. */
  admin: `${EXTENSION_KEY}.Admin`,
} as const;

export type LifelinePrivilege = (typeof PRIVILEGES)[keyof typeof PRIVILEGES];

/** The custom privileges as the ExtensionManager registers them (`privGroupName` = the extension key). */
export const EXTENSION_PRIVILEGES: ReadonlyArray<{ readonly privId: LifelinePrivilege; readonly privGroupName: string; readonly summary: string }> = [
  { privId: PRIVILEGES.protect, privGroupName: EXTENSION_KEY, summary: 'Protect virtual machines: assign policies, back up now, cancel backups' },
  { privId: PRIVILEGES.restore, privGroupName: EXTENSION_KEY, summary: 'Restore virtual machines and disks from restore points' },
  { privId: PRIVILEGES.admin, privGroupName: EXTENSION_KEY, summary: 'Administer Lifeline: protection policies, audit log' },
];

/** The privilege that lets a user cancel a job of a kind; unknown kinds need Admin. */
export function cancelPrivilegeFor(kind: string): LifelinePrivilege {
  if (kind === 'backup') return PRIVILEGES.protect;
  if (kind === 'restore') return PRIVILEGES.restore;
  return PRIVILEGES.admin;
}
