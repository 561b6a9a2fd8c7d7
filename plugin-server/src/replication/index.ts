/**
 * Replication of restore points to a paired DR site: the protocol's interfaces, the sender, the
 * receiver and the in-process link. docs/replication.md gives the design and its threat model.
 * An use case of the server's layers; how it fits with the rest: docs/architecture.md.
 */
export type { PointOffer, OfferAnswer, CommittedReplica, ReplicaReceiver } from './protocol.js';
export { replicatePoint } from './sender.js';
export type { ReplicateOptions, ReplicationReport } from './sender.js';
export { ReplicaSiteReceiver } from './receiver.js';
export type { ReceiverOptions } from './receiver.js';
export { InProcessLink } from './in-process-link.js';
export type { LinkCounters } from './in-process-link.js';
