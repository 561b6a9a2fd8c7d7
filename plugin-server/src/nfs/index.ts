// Instant recovery's NFS server: published restore points served over NFS v3 (MOUNT v3, NFS v3,
// a portmapper), their writes kept in per-publication overlays in the data directory.
// An adapter of the server's layers beside export/; how it fits with the rest: docs/architecture.md.
export { NfsServer, descriptorName, flatName, NFS_PROGRAM, MOUNT_PROGRAM, PMAP_PROGRAM } from './nfs-server.js';
export type { NfsServerOptions } from './nfs-server.js';
export { Publications, folderName } from './publications.js';
export type { Publication, PublicationOwner, PublicationsOptions } from './publications.js';
export { DEFAULT_CACHE, OVERLAY_BLOCK } from './published-disk.js';
export type { ChunkCacheOptions } from './published-disk.js';
export { MAX_RECORD } from './rpc-server.js';
export { startNfsService } from './nfs-service.js';
export type { NfsService, NfsServiceOptions } from './nfs-service.js';
