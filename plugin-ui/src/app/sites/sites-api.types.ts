/**
 * The bodies of the sites API (site pairing and replication), as the UI reads and sends them.
 *
 * They mirror the wording of the sites API until the server's OpenAPI document describes its
 * sites routes; then `npm run openapi:types` puts them into lifeline-api.generated.ts, and these
 * declarations give way to `components['schemas'][…]` as in the other files of src/app/api/.
 * Nothing here adds to what the sites API says; the readers in sites-api.ts check the same shapes.
 */

/** How this site replicates to a paired DR site; sizes in MB (10^6 bytes) per second. */
export interface ReplicationSettings {
  /** null = unlimited. */
  readonly bandwidthMBps: number | null;
  /** A lower limit during set hours ("HH:MM" local times of the server); null = none. */
  readonly window: ReplicationWindow | null;
  /** The GFS rule the DR site applies to the replicas it holds. */
  readonly retention: ReplicaRetention;
  /** Replicas are locked at the DR site at least this long. */
  readonly immutableDays: number;
  /** VMs replicating to this peer at once (the server's default is 2). */
  readonly maxConcurrentVms: number;
}

export interface ReplicationWindow {
  readonly from: string;
  readonly to: string;
  readonly bandwidthMBps: number;
}

export interface ReplicaRetention {
  readonly keepLast: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export type LinkState = 'idle' | 'replicating' | 'unreachable' | 'refused';

/** How the link to a peer stands, as the replication side last saw it. */
export interface LinkStats {
  readonly state: LinkState;
  readonly lastContactAt: string | null;
  readonly lastError: string | null;
  readonly bytesSent: number;
  readonly throughputBps: number;
  readonly backlogPoints: number;
}

/** The peer's role seen from here: `target` = this site replicates to it. */
export type PeerRole = 'source' | 'target';

/** A paired site. */
export interface Peer {
  readonly id: string;
  readonly name: string;
  readonly thumbprint: string;
  /** https://host:port of the peer's site listener. */
  readonly url: string;
  readonly role: PeerRole;
  readonly pairedAt: string;
  readonly settings: ReplicationSettings;
  /** null until anything has run on the link. */
  readonly link: LinkStats | null;
}

/** This site as its peers see it. */
export interface SiteSelf {
  readonly name: string;
  readonly siteUrl: string;
  readonly thumbprint: string;
}

/** `GET /api/v1/sites`. */
export interface Sites {
  readonly self: SiteSelf;
  readonly peers: readonly Peer[];
}

/** `POST /api/v1/sites/pairing-codes` → 201: shown once; valid until `expiresAt`, single use. */
export interface PairingCode {
  readonly code: string;
  readonly expiresAt: string;
  readonly thumbprint: string;
  readonly siteUrl: string;
}

/** `POST /api/v1/sites/probe` `{ url }` → 200: what the site at that address presents. */
export interface SiteProbe {
  readonly name: string;
  readonly thumbprint: string;
  readonly url: string;
}

/** `POST /api/v1/sites` body: pair with the DR site at `url`. */
export interface PairRequest {
  readonly url: string;
  readonly thumbprint: string;
  readonly code: string;
  readonly settings: ReplicationSettings;
}

export type VmReplicationState = 'not-configured' | 'ok' | 'lagging' | 'failing' | 'site-not-paired';

/** `GET /api/v1/vms/{vm}/replication`. */
export interface VmReplication {
  readonly site: { readonly id: string; readonly name: string } | null;
  readonly state: VmReplicationState;
  readonly lastReplicatedPointId: string | null;
  readonly lastReplicatedAt: string | null;
  /** How old the newest copy at the DR site is: the RPO achieved there. */
  readonly lagSeconds: number | null;
  readonly rpoSeconds: number | null;
  readonly rpoMet: boolean | null;
  readonly lastError: string | null;
  readonly backlogPoints: number;
}

/** The `result` of a finished `replication` job in `GET /api/v1/jobs`. */
export interface ReplicationJobResult {
  readonly site: string;
  readonly pointId: string;
  readonly chunks: number;
  readonly chunksSent: number;
  readonly bytesSent: number;
  /** The point was at the DR site already. */
  readonly present: boolean;
}
