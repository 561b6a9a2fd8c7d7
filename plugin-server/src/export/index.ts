// Export of restore point disks for third-party tools: the raw image (whole or a byte range) and
// a stream-optimized VMDK, written to any ordered byte sink (an HTTP response, a file) as chunks
// are read and verified, never the whole disk in memory. A damaged point stops an export with the
// chunk named; files are written all or nothing.
// An adapter of the server's layers; how it fits with the rest: docs/architecture.md.
export { ExportError, isDamagedPointError } from './export-error.js';
export type { ExportErrorCode } from './export-error.js';
export type { ByteSink } from './byte-sink.js';
export { CoalescingSink } from './byte-sink.js';
export { namingChunkSource, readSlots, DEFAULT_READ_AHEAD } from './disk-chunks.js';
export type { PointDisk, DiskSlot, ReadSlotsOptions } from './disk-chunks.js';
export { exportRaw } from './raw-image.js';
export type { ExportRange, RawExportOptions } from './raw-image.js';
export { exportStreamOptimizedVmdk } from './vmdk-writer.js';
export type { VmdkExportOptions, VmdkExportStats } from './vmdk-writer.js';
export { openPointDisk, exportFileName } from './point-disk.js';
export type { OpenedPointDisk } from './point-disk.js';
export { writeFileAtomically, FileSink } from './file-output.js';
export type { FileOutputOptions } from './file-output.js';
