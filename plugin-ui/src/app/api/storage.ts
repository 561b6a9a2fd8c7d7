import { isNumber, isRecord, isString } from './json-reader';

/** One UTC day of `dataAddedPerDay`: what the restore points committed that day added to the store. */
export interface DayAdded {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  /** Stored (compressed, encrypted) bytes of the chunks the day's points added. */
  readonly newBytes: number;
  readonly points: number;
}

/**
 * `GET /api/v1/storage`: what the backup store holds and what deduplication and compression save.
 * `logicalBytes` is what restoring every point would yield, `storedBytes` what the store keeps for
 * them, and `savedBytes` what full copies of the points' non-zero data would take beyond that.
 */
export interface StorageFigures {
  readonly points: number;
  readonly vms: number;
  readonly logicalBytes: number;
  readonly dataBytes: number;
  readonly storedBytes: number;
  readonly savedBytes: number;
  readonly dedupRatio: number;
  readonly compressionRatio: number;
  /** The last 30 UTC days, oldest first, today included. */
  readonly dataAddedPerDay: readonly DayAdded[];
  /** When the server read the figures (ISO-8601); it keeps them for a short while. */
  readonly asOf: string;
}

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

/** Null unless every figure is a finite number that is not negative, and every day reads. */
export function readStorageFigures(body: unknown): StorageFigures | null {
  if (!isRecord(body) || !Array.isArray(body['dataAddedPerDay'])) {
    return null;
  }
  const { points, vms, logicalBytes, dataBytes, storedBytes, savedBytes, dedupRatio, compressionRatio, asOf } = body;
  const figures = [points, vms, logicalBytes, dataBytes, storedBytes, savedBytes, dedupRatio, compressionRatio];
  if (!figures.every((n) => isNumber(n) && n >= 0) || !isString(asOf)) {
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
  };
}
