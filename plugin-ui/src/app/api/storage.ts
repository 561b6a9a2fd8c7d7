import { isNumber, isRecord, isString } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * One UTC day (YYYY-MM-DD) of `dataAddedPerDay`: what the restore points committed that day added
 * to the store, in stored (compressed, encrypted) bytes.
 */
export type DayAdded = Schemas['StorageFigures']['dataAddedPerDay'][number];

/**
 * The size and free room of the file system that holds the backup store. The server keeps
 * `reserveBytes` free for maintenance: while less than that is free it refuses new backups (they
 * fail with error code `store-full`).
 */
export type StoreCapacity = NonNullable<Schemas['StorageFigures']['capacity']>;

/** How much room the store has left: `full` refuses new backups, `low` is close to it. */
export type CapacityLevel = 'ok' | 'low' | 'full';

/**
 * `full` below the reserve; `low` below twice the reserve or below a tenth of the file system;
 * `ok` otherwise.
 */
export function capacityLevel({ totalBytes, freeBytes, reserveBytes }: StoreCapacity): CapacityLevel {
  if (freeBytes < reserveBytes) {
    return 'full';
  }
  return freeBytes < 2 * reserveBytes || freeBytes < totalBytes / 10 ? 'low' : 'ok';
}

/**
 * `GET /api/v1/storage`: what the backup store holds and what deduplication and compression save.
 * `logicalBytes` is what restoring every point would yield, `storedBytes` what the store keeps for
 * them, and `savedBytes` what full copies of the points' non-zero data would take beyond that.
 */
export type StorageFigures = Omit<Schemas['StorageFigures'], 'capacity'> & {
  /** Null when the store's storage has no fixed bound, or the server is too old to say. */
  readonly capacity: StoreCapacity | null;
};

export const STORAGE_PATH = '/api/v1/storage';

/** The code of the 503 a server without a backup store answers: no figures exist, nothing failed. */
export const BACKUP_UNAVAILABLE_CODE = 'backup-unavailable';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readDayAdded(body: unknown): DayAdded | null {
  if (!isRecord(body)) {
    return null;
  }
  const { day, newBytes, points } = body;
  if (!isString(day) || !DAY.test(day) || !isNumber(newBytes) || newBytes < 0 || !isNumber(points) || points < 0) {
    return null;
  }
  return { day, newBytes, points };
}

/**
 * Null for no capacity: the member is null, or missing, as an older server leaves it out. Undefined
 * when it is anything but three figures that are finite and not negative.
 */
function readCapacity(body: unknown): StoreCapacity | null | undefined {
  if (body === null || body === undefined) {
    return null;
  }
  if (!isRecord(body)) {
    return undefined;
  }
  const { totalBytes, freeBytes, reserveBytes } = body;
  if (!isNumber(totalBytes) || totalBytes < 0 || !isNumber(freeBytes) || freeBytes < 0 || !isNumber(reserveBytes) || reserveBytes < 0) {
    return undefined;
  }
  return { totalBytes, freeBytes, reserveBytes };
}

/** What the store keeps its objects on; undefined when the server does not say (an older one) or says something unknown. */
export type StoreKind = NonNullable<Schemas['StorageFigures']['storage']>;

function readStoreKind(body: unknown): StoreKind | undefined {
  if (!isRecord(body)) {
    return undefined;
  }
  const { kind, location, lockMode } = body;
  if (kind === 'directory') {
    return { kind };
  }
  if (kind === 'object-storage' && isString(location) && (lockMode === 'compliance' || lockMode === 'none')) {
    return { kind, location, lockMode };
  }
  return undefined;
}

/** Null unless every figure is a finite number that is not negative, and every day and the capacity read. */
export function readStorageFigures(body: unknown): StorageFigures | null {
  if (!isRecord(body) || !Array.isArray(body['dataAddedPerDay'])) {
    return null;
  }
  const { points, vms, logicalBytes, dataBytes, storedBytes, savedBytes, dedupRatio, compressionRatio, asOf } = body;
  const figures = [points, vms, logicalBytes, dataBytes, storedBytes, savedBytes, dedupRatio, compressionRatio];
  if (!figures.every((n) => isNumber(n) && n >= 0) || !isString(asOf)) {
    return null;
  }
  const capacity = readCapacity(body['capacity']);
  if (capacity === undefined) {
    return null;
  }
  const days: DayAdded[] = [];
  for (const raw of body['dataAddedPerDay'] as unknown[]) {
    const day = readDayAdded(raw);
    if (day === null) {
      return null;
    }
    days.push(day);
  }
  return {
    points: points as number,
    vms: vms as number,
    logicalBytes: logicalBytes as number,
    dataBytes: dataBytes as number,
    storedBytes: storedBytes as number,
    savedBytes: savedBytes as number,
    dedupRatio: dedupRatio as number,
    compressionRatio: compressionRatio as number,
    dataAddedPerDay: days,
    asOf,
    capacity,
    ...(readStoreKind(body['storage']) ? { storage: readStoreKind(body['storage']) } : {}),
  };
}
