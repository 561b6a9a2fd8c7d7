/**
 * The restore point manifest: what a point is, sealed with the repository's keys
 * (sealed-document.ts) and stored as points/<id>/manifest next to the point's disk indexes
 * (points/<id>/disk-<n>.fidx). The catalog is an index over these manifests.
 */
import type { Consistency } from '../../catalog/index.js';
import type { RepositoryKeys } from '../keys.js';
import { openDocument, sealDocument } from '../sealed-document.js';
import { StoreError } from '../store-error.js';

export interface ManifestDisk {
  disk: number;
  label: string;
  capacity: number;
  chunkSize: number;
  indexKey: string;
  /** SHA-256 of the whole index object, so the sealed manifest vouches for the index too. */
  indexSha256: string;
  changeId: string | null;
}

export interface PointManifest {
  format: 'lifeline-point/1';
  id: string;
  repositoryId: string;
  vm: { id: string; name: string; config: Record<string, unknown> };
  consistency: Consistency;
  createdAt: string;
  retainUntil: string;
  parentId: string | null;
  disks: ManifestDisk[];
}

export function manifestKey(pointId: string): string {
  return `points/${pointId}/manifest`;
}

export function indexKey(pointId: string, disk: number): string {
  return `points/${pointId}/disk-${disk}.fidx`;
}

export function sealManifest(m: PointManifest, keys: RepositoryKeys): Uint8Array {
  return sealDocument(m, keys.macKey, keys.metaKey);
}

export function openManifest(bytes: Uint8Array, keys: RepositoryKeys, pointId: string, repositoryId: string): PointManifest {
  const doc = openDocument(bytes, keys.macKey, keys.metaKey, `manifest of restore point ${pointId}`) as PointManifest;
  if (doc.format !== 'lifeline-point/1' || doc.id !== pointId || doc.repositoryId !== repositoryId || !Array.isArray(doc.disks)) {
    throw new StoreError('manifest-invalid', `manifest of restore point ${pointId} does not describe it`, { pointId });
  }
  return doc;
}
