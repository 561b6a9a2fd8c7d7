/**
 * Lifeline's NFS datastore in vCenter: one per Lifeline server, named `lifeline-<name>`, the share
 * `<nfs host>:<export path>` mounted with CreateNasDatastore on the hosts that run a VM from it,
 * reused while it exists, and unmounted (RemoveDatastore on every host) once nothing is published
 * and no VM has a file on it.
 *
 * While Lifeline is down, ESXi keeps the datastore but marks it inaccessible; a VM running from it
 * has its disk I/O wait (the guest sees a stalled disk, not an error) until the NFS server answers
 * again, for as long as the guest's own I/O timeouts allow. Publications, overlays and file handles
 * survive a restart of Lifeline (nfs/publications.ts), so ESXi picks up where it stopped.
 */
import type { InstantVcenter } from './instant-vcenter.js';

export interface NfsExport {
  /** The datastore's name in vCenter, `lifeline-<name>`. */
  readonly datastoreName: string;
  /** The address ESXi hosts reach the NFS server at. */
  readonly remoteHost: string;
  readonly remotePath: string;
}

export function datastoreNameFor(serverName: string): string {
  return `lifeline-${serverName}`;
}

/** The datastore (moref and name), mounted on `host` (mounted now when it was not). */
export async function ensureNfsDatastore(vc: InstantVcenter, exp: NfsExport, host: string, signal?: AbortSignal): Promise<{ moref: string; name: string }> {
  const found = (await vc.nasDatastores(signal)).find((d) => d.remoteHost === exp.remoteHost && d.remotePath === exp.remotePath);
  if (found && found.mounts.some((m) => m.host === host)) return { moref: found.moref, name: found.name };
  const name = found?.name ?? exp.datastoreName;
  const moref = await vc.createNasDatastore(host, { name, remoteHost: exp.remoteHost, remotePath: exp.remotePath }, signal);
  return { moref, name };
}

/**
 * Unmounts the datastore from every host when nothing is published and no VM uses it; returns
 * whether it did.
 */
export async function releaseNfsDatastore(vc: InstantVcenter, exp: NfsExport, published: number, signal?: AbortSignal): Promise<boolean> {
  if (published > 0) return false;
  const found = (await vc.nasDatastores(signal)).find((d) => d.remoteHost === exp.remoteHost && d.remotePath === exp.remotePath);
  if (!found || found.vms.length > 0) return false;
  for (const m of found.mounts) await vc.removeDatastore(m.host, found.moref, signal);
  return true;
}
