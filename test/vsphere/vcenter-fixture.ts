// Shared set-up for the vSphere adapter suites: logging in to a simulator and writing guest data.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { connectVcenter, type DatastoreFile, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import type { Vcsim, VcsimDisk, VcsimVm } from '../vcsim/harness.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** A Vcenter logged in to the simulator as its administrator (or another user). */
export function connect(vc: Vcsim, user = vc.username, password = vc.password, extra: { keepAliveMs?: number } = {}): Promise<Vcenter> {
  return connectVcenter({ url: vc.url, thumbprint: vc.thumbprint, user, password, keepAliveMs: extra.keepAliveMs ?? 0 });
}

/** The flat (data) file of a simulator disk, as the datastore file API names it. */
export function flatFileOf(vm: VcsimVm, disk: VcsimDisk): DatastoreFile {
  return { datacenterPath: vm.datacenter, datastorePath: disk.flatFile };
}

/** Writes guest data straight into a disk's flat file, as a guest would. */
export function writeAt(path: string, offset: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

export function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Calls of one SOAP method the simulator has seen since start. */
export async function callsOf(vc: Vcsim, method: string): Promise<number> {
  return (await vc.callCounts())[method] ?? 0;
}
