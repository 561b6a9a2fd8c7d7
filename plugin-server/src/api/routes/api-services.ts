import type { EventsService, LifelineMetrics } from '../../events/index.js';
import type { JobRunner } from '../../jobs/index.js';
import type { Clock } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import type { PolicyStore, ProtectionScheduler } from '../../protection/index.js';
import type { RecoveryService } from '../../recovery/index.js';
import type { Repository } from '../../store/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PointReaders } from '../point-readers.js';
import type { ServerSettings } from './settings.js';

/** What the protection, job and audit routes work with; the composition root builds them. */
export interface ApiServices {
  readonly policies: PolicyStore;
  readonly runner: JobRunner;
  /** Not started by the API: used for "back up now" and RPO compliance. */
  readonly scheduler: ProtectionScheduler;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborted when the server begins to stop, so open event streams end instead of holding the drain. */
  readonly shutdown: AbortSignal;
  /** How often an idle event stream gets a comment line, so proxies keep it open. */
  readonly sseHeartbeatMs: number;
  /** The backup repository, when the server has one: restore points and their export. */
  readonly repository?: Repository | null;
  /** Revert, new instance, clone and attach; absent when the server has no backup store. */
  readonly recovery?: RecoveryService | null;
  /** Names of the hook sets the configuration declares, which policies may choose; absent: none. */
  readonly hookSets?: readonly string[];
  /** Restore points exports are reading right now (maintenance leaves their VMs alone). */
  readonly pointReaders?: PointReaders;
  /** The settings an administrator may read, as they are when asked; absent: none are reported. */
  readonly settings?: (() => ServerSettings) | null;
  /** Events out: notification channels and their delivery log. */
  readonly events?: EventsService | null;
  /** Prometheus metrics at /metrics, behind the bearer token in `tokenFile`. */
  readonly metrics?: { readonly metrics: LifelineMetrics; readonly tokenFile: string } | null;
}
