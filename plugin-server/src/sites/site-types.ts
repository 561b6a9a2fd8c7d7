/**
 * The nouns of site pairing, shared with the replication link and the Sites view: a paired peer,
 * its replication settings, the directory the link asks about peers, and the local site's TLS
 * identity for requests to a peer. docs/replication.md ("Pairing") describes how two sites pair.
 */

/** A paired peer as the link needs it. */
export interface PeerIdentity {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the peer's certificate, colon-separated upper-case hex. */
  readonly thumbprint: string;
}

/** The peer's role seen from here: 'target' = this site replicates to it; 'source' = it replicates to this site. */
export type PeerRole = 'source' | 'target';

export interface ReplicationWindow {
  /** "HH:MM", server local time. */
  readonly from: string;
  readonly to: string;
  /** The lower limit during those hours, MB/s (10^6 bytes). */
  readonly bandwidthMBps: number;
}

export interface ReplicaRetention {
  readonly keepLast: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export interface ReplicationSettings {
  /** null = unlimited; MB = 10^6 bytes. */
  readonly bandwidthMBps: number | null;
  readonly window: ReplicationWindow | null;
  /** The GFS rule the DR site applies to replicas. */
  readonly retention: ReplicaRetention;
  /** Replicas are locked at the DR site at least this long. */
  readonly immutableDays: number;
  /** Per-peer limit of VMs replicating at once. */
  readonly maxConcurrentVms: number;
}

export interface PeerRecord extends PeerIdentity {
  /** https://host:port of the peer's site listener. */
  readonly url: string;
  readonly role: PeerRole;
  /** ISO time. */
  readonly pairedAt: string;
  readonly settings: ReplicationSettings;
  /**
   * ISO time a source site unpaired this DR site, or null. Its replicas stay here, and failover
   * and drills from them go on; its site requests are refused. Removed by an unpair here.
   */
  readonly unpairedByPeerAt?: string | null;
}

/** What the link needs from the pairing side. */
export interface PeerDirectory {
  /** By id or by name; undefined when not paired (any more). */
  peer(idOrName: string): PeerRecord | undefined;
  peers(): PeerRecord[];
}

/** The figures of the replication link to a peer that outlive a restart of the server. */
export interface LinkFigures {
  /** Stored chunk bytes sent to the peer since the pairing. */
  readonly bytesSent: number;
  /** ISO time. */
  readonly lastContactAt: string | null;
  readonly lastError: string | null;
  readonly errorCode: string | null;
}

/** The local site's TLS identity for outgoing site requests: the server's own certificate. */
export interface SiteIdentity {
  readonly name: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly thumbprint: string;
}
