/**
 * What the catalog's specs share: a fresh SQLite catalog in a temporary directory for every spec,
 * and restore-point rows with neutral figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointRow } from './catalog-type.js';
import { openCatalog, type SqliteCatalog } from './sqlite-catalog.js';

/** A committed, crash-consistent point retained a day, with zero figures; `extra` overrides any field. */
export function point(id: string, vmId: string, createdAt: number, extra: Partial<PointRow> = {}): PointRow {
  return {
    id,
    vmId,
    vmName: vmId,
    state: 'committed',
    consistency: 'crash',
    createdAt,
    retainUntil: createdAt + 86_400_000,
    parentId: null,
    damaged: false,
    logicalBytes: 0,
    dataBytes: 0,
    readBytes: 0,
    newChunks: 0,
    newStoredBytes: 0,
    ...extra,
  };
}

export interface TempCatalog {
  /** The directory holding catalog.db; removed after each spec. */
  dir: string;
  /** Open on <dir>/catalog.db before each spec; a spec may replace it, and whatever is here is closed after. */
  cat: SqliteCatalog;
}

/** Call inside a describe(): each spec of it gets its own new catalog. */
export function useTempCatalog(): TempCatalog {
  const t = {} as TempCatalog;
  beforeEach(async () => {
    t.dir = await mkdtemp(join(tmpdir(), 'lifeline-catalog-'));
    t.cat = openCatalog(join(t.dir, 'catalog.db'));
  });
  afterEach(async () => {
    t.cat.close();
    await rm(t.dir, { recursive: true, force: true });
  });
  return t;
}
