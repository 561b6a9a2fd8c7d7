// The catalog: restore points, disks, retention, writers, maintenance locks, GC and verify state,
// in SQLite. It is an index over the repository's sealed manifests and knows nothing of bytes.
// A core of the server's layers; how it fits with the rest: docs/architecture.md.
export { openCatalog, SqliteCatalog, CATALOG_CACHE_KIB } from './sqlite-catalog.js';
export type { OpenCatalogOptions } from './sqlite-catalog.js';
export type {
  Catalog,
  Consistency,
  DamageRow,
  DayTotals,
  DiskRow,
  PointQuery,
  PointRow,
  PointTotals,
  PointState,
  RunKind,
  RunRow,
  WriterRow,
} from './catalog-type.js';
