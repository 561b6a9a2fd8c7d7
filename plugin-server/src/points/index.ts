// Lifeline's restore points as the API uses them: finding and listing them with what their sealed
// manifests say, opening their disks for export, deleting them and keeping them longer under the
// rules of retention and immutability, and the count of points being read right now, which
// repository maintenance respects. The routes in api/routes/points.ts call this (docs/architecture.md).
export { PointsService, vmOfPoint } from './points-service.js';
export type { PointDetails, PointsServiceOptions, ProtectCeiling } from './points-service.js';
export { ManifestSummaries, summarize } from './manifest-summaries.js';
export type { ConfigurationView, ManifestSummary } from './manifest-summaries.js';
export { PointReaders, jobOnPoint, pointsOfJobs } from './point-readers.js';
