/**
 * The bodies of the sites API (site pairing and replication), as the server's OpenAPI document
 * describes them (lifeline-api.generated.ts, `npm run openapi:types`), under the names the sites
 * views use. The readers in sites-api.ts check the same shapes at run time.
 */
import type { components } from '../api/lifeline-api.generated';

type Schemas = components['schemas'];

/** How this site replicates to a paired DR site; sizes in MB (10^6 bytes) per second. */
export type ReplicationSettings = Schemas['ReplicationSettings'];
export type ReplicationWindow = NonNullable<ReplicationSettings['window']>;
export type ReplicaRetention = ReplicationSettings['retention'];
/** How the link to a peer stands, as the replication side last saw it. */
export type LinkStats = Schemas['LinkStats'];
export type LinkState = LinkStats['state'];
/** A paired site. */
export type Peer = Schemas['Peer'];
/** The peer's role seen from here: `target` = this site replicates to it. */
export type PeerRole = Peer['role'];
/** `GET /api/v1/sites`. */
export type Sites = Schemas['SitesOverview'];
/** This site as its peers see it. */
export type SiteSelf = Sites['self'];
/** `POST /api/v1/sites/pairing-codes` → 201: shown once; valid until `expiresAt`, single use. */
export type PairingCode = Schemas['PairingCode'];
/** `POST /api/v1/sites/probe` `{ url }` → 200: what the site at that address presents. */
export type SiteProbe = Schemas['SiteProbe'];
/** `POST /api/v1/sites` body: pair with the DR site at `url`. */
export type PairRequest = Schemas['PairRequest'];
/** `GET /api/v1/vms/{vm}/replication`. */
export type VmReplication = Schemas['VmReplication'];
export type VmReplicationState = VmReplication['state'];

/**
 * The `result` of a finished `replication` job in `GET /api/v1/jobs`; the document describes job
 * results as an object of the job kind's own, so this one is declared here.
 */
export interface ReplicationJobResult {
  readonly site: string;
  readonly pointId: string;
  readonly chunks: number;
  readonly chunksSent: number;
  readonly bytesSent: number;
  /** The point was at the DR site already. */
  readonly present: boolean;
}
