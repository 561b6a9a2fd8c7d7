/**
 * Replication of restore points to a paired DR site: the protocol's interfaces, the sender, the
 * receiver and the in-process link. docs/replication.md gives the design and its threat model.
 * An use case of the server's layers; how it fits with the rest: docs/architecture.md.
 */
export type { PointOffer, OfferAnswer, CommittedReplica, ReplicaReceiver } from './protocol.js';
export { replicatePoint } from './sender.js';
export type { ReplicateOptions, ReplicationReport, ReplicationTimings } from './sender.js';
export { ReplicaSiteReceiver } from './receiver.js';
export type { ReceiverOptions, ReceiverTimings } from './receiver.js';
export { InProcessLink } from './in-process-link.js';
export type { LinkCounters } from './in-process-link.js';
export { createReplicationRouter, MAX_CHUNK_BODY } from './http-router.js';
export type { ReplicationRouterOptions } from './http-router.js';
export { HttpReplicaReceiver, SiteAgent } from './http-receiver.js';
export type { HttpReplicaReceiverOptions, HttpLinkCounters, SiteIdentity } from './http-receiver.js';
export { ReplicaSites, replicaFolder, pruneReplicasAfterMaintenance } from './replica-sites.js';
export type { PeerIdentity, ReplicaRetention, ReplicaSitesOptions, SiteReplicaReceiver, ReplicaPruneReport } from './replica-sites.js';
export { sealSeedFor, openSeedSecret } from './seed-transfer.js';
export type { SeedTransfer } from './seed-transfer.js';
export { BandwidthLimiter, rateAt, throttled, replicateWithRetry } from './link.js';
export type { BandwidthSettings, LimiterClock, RetryingOptions, RetryingReport } from './link.js';
export { startReplication, REPLICATION_JOB_KIND } from './coordinator.js';
export type { StartReplicationOptions, Replication, ReplicationJobParams, ReplicationJobResult, PeerRecord, PeerDirectory, ReplicationSettings, LinkStats, VmReplication } from './coordinator.js';
