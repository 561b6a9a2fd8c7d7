/**
 * Opens one disk of a committed restore point for export: its fixed index, checked against the
 * checksum the catalog recorded, and the repository's verifying chunk reader (which records
 * damage it meets against the point).
 */
import type { Repository } from '../store/index.js';
import type { PointDisk } from './disk-chunks.js';

export interface OpenedPointDisk extends PointDisk {
  /** The disk's size in bytes. */
  readonly capacity: number;
}

/** Throws the store's 'point-not-found' when the point or the disk does not exist. */
export async function openPointDisk(repo: Repository, pointId: string, disk: number, signal: AbortSignal): Promise<OpenedPointDisk> {
  const index = await repo.openIndex(pointId, disk, signal);
  return { pointId, disk, index, source: repo.pointChunks(pointId), capacity: index.capacity };
}

/** The file name an export is offered under: `<vm>-<point>-disk<n>.<ext>`, safe in any file system. */
export function exportFileName(vmName: string, pointId: string, disk: number, extension: 'raw' | 'vmdk'): string {
  const vm = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'vm';
  return `${vm}-${pointId}-disk${disk}.${extension}`;
}
