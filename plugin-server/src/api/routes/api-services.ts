/**
 * What the routes work with. The composition root (server/) builds every service and hands it in
 * (docs/architecture.md); a route keeps at most a short-lived copy of an answer of its own (the
 * storage figures).
 */
import type { JobEventHub, JobRunner, JobStore } from '../../jobs/index.js';
import type { EventsService, LifelineMetrics } from '../../events/index.js';
import type { Clock } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import type { PointsService } from '../../points/index.js';
import type { PolicyStore, ProtectionScheduler } from '../../protection/index.js';
import type { RecoveryService } from '../../recovery/index.js';
import type { InstantRunService } from '../../instant/index.js';
import type { Repository } from '../../store/index.js';
import type { Replication } from '../../replication/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DownloadTickets } from '../download-tickets.js';
import type { SiteService } from '../../sites/index.js';
import type { DrService, PlannedMigrationSource, FailbackService, PlanFailbackService } from '../../dr/index.js';
import type { ServerSettings } from './settings.js';
import type { NfsService } from '../../nfs/index.js';
import type { InstantRevertService } from '../../instant/index.js';

/** What the routes read of the job records; the runner is not needed to read them. */
export type JobReads = Pick<JobStore, 'get' | 'list' | 'count' | 'readLog' | 'activeForTarget' | 'recentDurations'>;

export interface ApiServices {
  readonly policies: PolicyStore;
  /** Runs jobs: the routes submit and cancel through it, and ask which kinds it can run. */
  readonly runner: Pick<JobRunner, 'submit' | 'cancel' | 'hasHandler'>;
  /** The job records: lists, one job, its log. */
  readonly jobs: JobReads;
  /** Live job events, replayed after a Last-Event-ID. */
  readonly events: Pick<JobEventHub, 'subscribe' | 'subscribeJob'>;
  /** Not started by the API: used for "back up now" and RPO compliance. */
  readonly scheduler: ProtectionScheduler;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborted when the server begins to stop, so open event streams end instead of holding the drain. */
  readonly shutdown: AbortSignal;
  /** How often an idle event stream gets a comment line, so proxies keep it open. */
  readonly sseHeartbeatMs: number;
  /** The backup repository, when the server has one: its statistics and maintenance. */
  readonly repository?: Repository | null;
  /** Restore points: listing, export, deletion, retention. */
  readonly points: PointsService;
  /** Download tickets issued for point exports; they live as long as the process. */
  readonly downloads: DownloadTickets;
  /** Revert, new instance, clone and attach; absent when the server has no backup store. */
  readonly recovery?: RecoveryService | null;
  /** Whether the server keeps copies of restore points on object storage (copyS3): policies may ask for them only then. */
  readonly objectStorageCopies?: boolean;
  /** Names of the hook sets the configuration declares, which policies may choose; absent: none. */
  readonly hookSets?: readonly string[];
  /** The settings an administrator may read, as they are when asked; absent: none are reported. */
  readonly settings?: (() => ServerSettings) | null;
  /** Pairing with other sites; absent: this server pairs with none (and policies name no site). */
  readonly sites?: SiteService | null;
  /** Replication to paired sites: each VM's copy there and each link's state; absent when the server has no backup store. */
  readonly replication?: Pick<Replication, 'vmReplication' | 'linkStats'> | null;
  /** Disaster recovery at the DR site (mappings, failover, drills); absent when the server has no backup store. */
  readonly dr?: DrService | null;
  /** The source site's part of planned migration: the VMs marked failed over to their DR site. */
  readonly drSource?: PlannedMigrationSource | null;
  /** Failback at the DR site: a failed-over VM sent back to its source site. */
  readonly failback?: FailbackService | null;
  /** A recovery plan's failback at the DR site: every VM of the plan failed over here sent back, one job. */
  readonly planFailback?: PlanFailbackService | null;
  /** Events out: notification channels and their delivery log. */
  readonly notifications?: EventsService | null;
  /**
   * Prometheus metrics at /metrics, behind the bearer token in `tokenFile` or, when `clientCa` is
   * set (the listener then asks for client certificates verified against it), a client certificate.
   */
  readonly metrics?: { readonly metrics: LifelineMetrics; readonly tokenFile: string; readonly clientCa?: boolean } | null;
  /** Restore points published over NFS (instant recovery); absent when the configuration has no NFS server. */
  readonly publications?: NfsService | null;
  /** Instant new instance and instant attach from the NFS datastore; absent when the configuration has no NFS server. */
  readonly instantRuns?: InstantRunService | null;
  /** Instant revert (a VM run from its restore point over NFS); absent when the server has no backup store. */
  readonly instantRevert?: InstantRevertService | null;
}
