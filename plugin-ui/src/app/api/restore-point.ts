import { isNumber, isRecord, isString, isStringOrNull, type PageOf } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * One disk of a restore point, numbered as the export and attach calls number them. Its
 * `datastorePath` is where the disk's file was when it was backed up; null when the stored
 * configuration lacks it. The views name a disk without a label by its number, so a label is read
 * even when null, which the document does not allow.
 */
export type PointDisk = Omit<Schemas['PointDisk'], 'label'> & { readonly label: Schemas['PointDisk']['label'] | null };

/**
 * `/api/v1/points/{id}`: a restore point by its id. `DELETE` on it removes the point for good once
 * its retain-until has passed (Lifeline Admin), answering 204.
 */
export function pointPath(pointId: string): string {
  return `/api/v1/points/${encodeURIComponent(pointId)}`;
}

/**
 * `POST /api/v1/points/{id}/retention` with `{ retainUntil }` (Lifeline Protect): keeps the point
 * longer, never shorter. It answers 202 with a `retention` job, which locks the point's data until
 * the new time and then ends with `{ pointId, retainUntil }`.
 */
export function pointRetentionPath(pointId: string): string {
  return `${pointPath(pointId)}/retention`;
}

/**
 * A restore point as `GET /api/v1/vms/{id}/points` lists it: a full image of the VM at `createdAt`.
 * Until `retainUntil` nobody, administrator included, can delete or alter it; `damaged` says a
 * chunk failed verification (recovering from it fails until it is repaired); `newBytes` is what
 * it added to the store after deduplication and compression.
 */
export type RestorePoint = Omit<Schemas['RestorePoint'], 'vm' | 'disks'> & {
  readonly vm: Pick<Schemas['RestorePoint']['vm'], 'id' | 'name' | 'moref'>;
  readonly disks: readonly PointDisk[];
};

/** The name a new VM from the point is offered: the VM's name and the point's date and time (the start of its id). */
export function newVmName(point: Pick<RestorePoint, 'id' | 'vm'>): string {
  return `${point.vm.name}-${point.id.slice(0, 15)}`;
}

function readDisk(value: unknown): PointDisk | null {
  if (!isRecord(value)) {
    return null;
  }
  const { index, label, capacityBytes, datastorePath } = value;
  if (!isNumber(index) || !isStringOrNull(label) || !isNumber(capacityBytes) || !isStringOrNull(datastorePath)) {
    return null;
  }
  return { index, label, capacityBytes, datastorePath };
}

export function readRestorePoint(body: unknown): RestorePoint | null {
  if (!isRecord(body) || !isRecord(body['vm']) || !Array.isArray(body['disks'])) {
    return null;
  }
  const { id, createdAt, consistency, retainUntil, locked, damaged, logicalBytes, newBytes, jobId } = body;
  const { id: vmId, name: vmName, moref } = body['vm'];
  const disks = (body['disks'] as unknown[]).map(readDisk);
  // Where else the point is held: its copy on object storage, or null (also from a server that does not say).
  const copy = body['objectStorageCopy'];
  const objectStorageCopy = isRecord(copy) && isString(copy['retainUntil']) ? { retainUntil: copy['retainUntil'] } : null;
  if (
    !isString(id) ||
    !isString(createdAt) ||
    (consistency !== 'application' && consistency !== 'crash') ||
    !isString(retainUntil) ||
    typeof locked !== 'boolean' ||
    typeof damaged !== 'boolean' ||
    !isNumber(logicalBytes) ||
    !isNumber(newBytes) ||
    !isStringOrNull(jobId) ||
    !isStringOrNull(vmId) ||
    !isString(vmName) ||
    !isStringOrNull(moref) ||
    !disks.every((d): d is PointDisk => d !== null)
  ) {
    return null;
  }
  return {
    id,
    vm: { id: vmId, name: vmName, moref },
    createdAt,
    consistency,
    retainUntil,
    locked,
    damaged,
    logicalBytes,
    newBytes,
    disks,
    jobId,
    objectStorageCopy,
  };
}

/** A page of points; the paging members default to one page holding all when a server omits them. */
export function readPointPage(body: unknown): PageOf<RestorePoint> | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items: RestorePoint[] = [];
  for (const raw of body['items'] as unknown[]) {
    const point = readRestorePoint(raw);
    if (point === null) {
      return null;
    }
    items.push(point);
  }
  const { total, offset, limit } = body;
  return {
    items,
    total: isNumber(total) ? total : items.length,
    offset: isNumber(offset) ? offset : 0,
    limit: isNumber(limit) ? limit : items.length,
  };
}
