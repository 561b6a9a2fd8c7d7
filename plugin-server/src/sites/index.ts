/**
 * Site pairing: the peers this site is paired with (the `PeerDirectory` the replication link
 * asks), one-time pairing codes and the proofs made with them, the site listener's routes and
 * the pinned mutual-TLS client for requests to a peer. docs/replication.md ("Pairing") gives
 * the design.
 */
export type { LinkFigures, PeerIdentity, PeerRecord, PeerRole, PeerDirectory, ReplicationSettings, ReplicationWindow, ReplicaRetention, SiteIdentity } from './site-types.js';
export { DEFAULT_REPLICATION_SETTINGS, parseReplicationSettings } from './replication-settings.js';
export { newPairingCode, normalisePairingCode, pairingCodeKeys, pairingProof, PAIRING_CODE_BYTES, PAIRING_CODE_TTL_MS } from './pairing-code.js';
export { SqlitePeerStore } from './peer-store.js';
export type { NewPeer } from './peer-store.js';
export { SiteService, parseSiteUrl } from './site-service.js';
export type { SiteSelf, NewPairingCode, PairingOffer, PairingAnswer, SiteServiceOptions } from './site-service.js';
export { siteRouter, siteErrorTap, clientThumbprint, peerOf } from './site-routes.js';
export type { SiteAuditEvent, SiteRouterOptions } from './site-routes.js';
export { siteRequest, probeSite, peerRefusal, PinnedSiteAgent, SITE_API_PREFIX } from './site-client.js';
export type { SiteReply, SiteRequestOptions } from './site-client.js';
