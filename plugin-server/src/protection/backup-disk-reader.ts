/**
 * The store's DiskAreaReader over a snapshot's disk, read through vCenter's datastore file access
 * (ranged GETs of the flat extent). Another transport (NBD) can take its place behind the same
 * interface.
 *
 * Why the flat extent: `/folder` serves files as they lie on the datastore, so only a flat disk's
 * `-flat.vmdk` reads as the guest's disk image. A snapshot's disk backed by a delta file (the VM
 * already had snapshots of its own) is not a flat image; the pipeline refuses such a disk with
 * 'backup-disk-unsupported' instead of storing garbage.
 */
import { LifelineError } from '../errors/index.js';
import type { DiskAreaReader } from '../store/index.js';
import type { DatastoreFile } from '../vsphere/index.js';

/** The one adapter call the reader needs. */
export interface RangeReader {
  readRangeInto(file: DatastoreFile, offset: number, target: Buffer, signal?: AbortSignal): Promise<number>;
}

const DELTA = /-\d{6}\.vmdk$/;

/** The flat extent of a flat disk's descriptor, "[ds] vm/vm.vmdk" → "[ds] vm/vm-flat.vmdk". */
export function flatExtentOf(descriptor: string): string {
  if (DELTA.test(descriptor)) {
    throw new LifelineError(
      'backup-disk-unsupported',
      `disk ${descriptor} is a snapshot delta (the VM has snapshots of its own); the datastore transport reads only flat disks — remove the VM's snapshots or use a transport that reads through the disk chain`,
      { file: descriptor },
    );
  }
  if (!descriptor.endsWith('.vmdk')) throw new LifelineError('backup-disk-unsupported', `disk ${descriptor} is not a VMDK`, { file: descriptor });
  return descriptor.endsWith('-flat.vmdk') ? descriptor : `${descriptor.slice(0, -'.vmdk'.length)}-flat.vmdk`;
}

export class SnapshotDiskReader implements DiskAreaReader {
  /** Bytes fetched from vCenter so far (the transport's share of a backup). */
  bytesRead = 0;

  constructor(
    private readonly vcenter: RangeReader,
    readonly file: DatastoreFile,
    readonly capacity: number,
  ) {}

  async read(offset: number, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    const target = into && into.byteLength >= length ? Buffer.from(into.buffer, into.byteOffset, length) : Buffer.allocUnsafe(length);
    const n = await this.vcenter.readRangeInto(this.file, offset, target, signal);
    this.bytesRead += n;
    // A flat extent can be shorter than the disk's capacity (a thin file never written at its end).
    if (n < length) target.fill(0, n);
    return target;
  }
}
