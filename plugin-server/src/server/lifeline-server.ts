/**
 * The Lifeline server: from a configuration it makes the TLS identity, the server's SQLite
 * database (jobs, protection policies, audit log), the job store, event hub and runner with its
 * job kinds, the schedulers, the services the routes call (points, recovery, download tickets),
 * the vCenter session cache, the authoriser, the Express app and the HTTPS listener, and it stops
 * them in the right order. With the rest of server/ it is the one place where services are built
 * (docs/architecture.md); api/ is handed them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { DEFAULT_JOB_LIMITS, formatDailyTime, type Config, type JobLimitsConfig } from '../config/index.js';
import { describeError } from '../errors/index.js';
import { JobRunner, openJobRecords, type ConcurrencyLimits, type JobHandler } from '../jobs/index.js';
import { systemClock, systemRandomBytes, vmTarget, type Clock } from '../domain/index.js';
import { EventsService, createMetrics, replicationFacts, serverSummary, type EventsServiceOptions, type LifelineMetrics } from '../events/index.js';
import { METRICS_TOKEN_FILE, readMetricsClientCa, storeFactsOf } from '../api/routes/metrics.js';
import { EXTENSION_KEY } from '../registration/index.js';
import type { Logger } from '../log/index.js';
import {
  BACKUP_JOB_KIND,
  DATASTORE_CLASS,
  HOST_CLASS,
  MAINTENANCE_JOB_KIND,
  RETENTION_JOB_KIND,
  ProtectionScheduler,
  SqlitePolicyStore,
  startMaintenanceSchedule,
  type MaintenanceSchedule,
  type MaintenanceScheduleOptions,
  type ProtectionPolicy,
  type RestorePointSource,
  type VmPlacementSource,
} from '../protection/index.js';
import { RecoveryService, RESTORE_JOB_KIND, SqliteRecoveryStore } from '../recovery/index.js';
import { PointReaders, PointsService, pointsOfJobs } from '../points/index.js';
import { createApp, hasUi, uiPath } from '../api/app.js';
import { PASSPHRASE_FILE, type BackupServices } from './backup-services.js';
import { MANIFEST_FILE, pluginPath, readManifestSource, servedManifest, type PluginFiles } from '../api/plugin-files.js';
import { SqliteAuditLog } from '../api/audit/audit-log.js';
import { runHookScript, runPostScripts, scriptSpecOf } from '../hooks/index.js';
import { DownloadTickets, type DownloadGrant } from '../api/download-tickets.js';
import { Authorizer } from '../api/auth/authorize.js';
import type { SessionCloner, UserSession, VcenterTarget } from '../api/auth/ports.js';
import { SessionCache, type SessionCacheOptions } from '../api/auth/session-cache.js';
import { InFlightRequests, listenHttps } from './https-server.js';
import type { ApiServices } from '../api/routes/api-services.js';
import { PASSPHRASE_WARNING, type ServerSettings } from '../api/routes/settings.js';
import type { VmInventory } from '../api/routes/vms.js';
import { openStateDatabase, stateDatabasePath } from './state-database.js';
import { ensureServerCertificate } from './tls/server-certificate.js';
import { SiteService, SqlitePeerStore } from '../sites/index.js';
import { startNfsService, type NfsService } from '../nfs/index.js';
import { datastoreNameFor, reconcilePublications, startInstantRevert, startInstantRuns, type InstantRevertService, type InstantRunService } from '../instant/index.js';
import { startSiteListener, type SiteListener, type SiteListenerOptions } from './site-listener.js';
import { startObjectCopy, type CopyRule, type ObjectCopies } from '../object-copy/index.js';
import { FailbackService, FailbackSource, PlanFailbackService, PlannedMigrationSource, SqliteDrStore, startDisasterRecovery, type DrService } from '../dr/index.js';
import { failbackBackup, failbackLink, failbackSnapshotDrop, mountFailback, mountPlannedMigration, sourceSiteLink } from './dr-site-link.js';
import { createReplicationRouter, pruneReplicasAfterMaintenance, REPLICATION_JOB_KIND, startReplication, type PeerDirectory, type ReplicaSites, type Replication } from '../replication/index.js';

export type ServerConfig = Pick<
  Config,
  'dataDir' | 'host' | 'port' | 'uiDir' | 'sessionIdleSeconds' | 'shutdownTimeoutSeconds' | 'vcenters' | 'hookSets' | 'maintenance' | 'site'
> & Partial<Pick<Config, 'jobLimits' | 'pointHook' | 'nfs'>>;

export interface LifelineServerDeps<S extends UserSession & VmInventory> {
  readonly config: ServerConfig;
  readonly log: Logger;
  /** Makes user sessions on vCenters; the vSphere adapter in production. */
  readonly cloner: SessionCloner<S>;
  readonly version?: string;
  readonly clock?: () => Date;
  readonly signal?: AbortSignal;
  /**
   * Job kinds the server can run, by kind (e.g. 'backup' once the backup pipeline exists). A kind
   * without a handler is refused: "back up now" answers 503 while there is no 'backup' handler.
   */
  readonly jobHandlers?: Readonly<Record<string, JobHandler>>;
  /**
   * Replaces the configured maintenance schedule (config.maintenance) with a first delay and an
   * interval, for tests.
   */
  readonly maintenance?: Partial<Pick<MaintenanceScheduleOptions, 'firstDelayMs' | 'intervalMs' | 'verifyPercent'>>;
  /** Newest good restore points; without one every VM is judged as never backed up. */
  readonly restorePoints?: RestorePointSource;
  /** Datastores of VMs, for per-datastore job limits; without one jobs count only globally. */
  readonly placement?: VmPlacementSource;
  readonly jobLimits?: ConcurrencyLimits;
  /** The clock of jobs, protection and audit. */
  readonly jobClock?: Clock;
  readonly sseHeartbeatMs?: number;
  /**
   * How often vCenter is asked again about a user's token (at most 60 s), how long a cloned
   * session lives at most, and how often the cache looks; for tests.
   */
  readonly sessions?: Pick<SessionCacheOptions<S>, 'revalidateMs' | 'lifetimeMs' | 'sweepIntervalMs'>;
  /** The folder with plugin.json, i18n/ and icons/; default: Lifeline's manifest/; null: serve none. */
  readonly manifestDir?: string | null;
  /**
   * The backup pipeline: its 'backup' job handler, restore points and placement feed the job
   * runner and the scheduler, which runs only when this is given. The caller owns and closes it.
   */
  readonly backup?: BackupServices | null;
  /** Routes for paired peers on the site listener, behind its peer middleware (replication). */
  readonly siteRoutes?: SiteListenerOptions['siteRoutes'];
  /** Delivery retries, concurrency and attempt time limit of events out; for tests and benchmarks. */
  readonly events?: Partial<Pick<EventsServiceOptions, 'retry' | 'concurrency' | 'attemptTimeoutMs'>>;
}

/** Until the backup pipeline supplies restore points, none exist. */
const NO_RESTORE_POINTS: RestorePointSource = {
  lastGoodPoints: (vms) => Promise.resolve(new Map(vms.map((vm) => [`${vm.vcenterGuid}:${vm.moref}`, null]))),
};
const NO_PLACEMENT: VmPlacementSource = { datastoresOf: () => Promise.resolve(new Map()) };
/** The configured slot limits as the job runner counts them (see config.jobLimits). */
/** What a policy asks of copies on object storage, as the object-copy coordinator takes it; null for none. */
function copyRuleOf(p: ProtectionPolicy): CopyRule | null {
  return p.copyToObjectStorage ? { ...p.copyToObjectStorage, weekly: p.retention.weekly, monthly: p.retention.monthly } : null;
}

function runnerLimits(l: JobLimitsConfig | undefined): ConcurrencyLimits {
  const c = l ?? DEFAULT_JOB_LIMITS;
  return { global: c.global, perKeyClass: { [DATASTORE_CLASS]: c.perDatastore, [HOST_CLASS]: c.perHost } };
}

export interface LifelineServer {
  /** `https://<host>:<port>` as listened on. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** SHA-256 thumbprint of the served certificate, colon-separated, as vCenter registration wants it. */
  readonly thumbprint: string;
  readonly certFile: string;
  /** The UI's URL, or null when no UI is served. */
  readonly uiUrl: string | null;
  /** The plugin.json URL to register with vCenter (`--plugin-url`), or null when none is served. */
  readonly pluginUrl: string | null;
  readonly version: string;
  /** `https://<host>:<port>` of the site listener, for paired sites. */
  readonly siteUrl: string;
  /** The sites this server is paired with. */
  readonly peers: PeerDirectory;
  /** The server's SQLite database (jobs, policies, audit). */
  readonly databaseFile: string;
  /** Graceful stop: no new connections, requests in flight finish (up to the timeout), sessions logged out. */
  stop(): Promise<void>;
}

export async function startLifelineServer<S extends UserSession & VmInventory>(
  deps: LifelineServerDeps<S>,
): Promise<LifelineServer> {
  const { config, log } = deps;
  const version = deps.version ?? (await productVersion());
  const plugin = await loadPlugin(deps.manifestDir === undefined ? join(await lifelineRoot(), 'manifest') : deps.manifestDir);
  const certificate = await ensureServerCertificate({
    dataDir: config.dataDir,
    names: [config.host],
    log,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });

  const jobClock = deps.jobClock ?? systemClock;
  const db = openStateDatabase(config.dataDir);
  let runner: JobRunner;
  let services: ApiServices;
  let scheduler: ProtectionScheduler;
  let sites: SiteService;
  let siteListener: SiteListener | null = null;
  let replication: Replication | null = null;
  let objectCopies: ObjectCopies | null = null;
  let replicaSites: ReplicaSites | null = null;
  let stopReplicaPrune: (() => void) | undefined;
  let events: EventsService;
  let metrics: LifelineMetrics;
  let metricsClientCa: string | null = null;
  let nfs: NfsService | null = null;
  let instantRevert: InstantRevertService | null = null;
  let instantRuns: InstantRunService | null = null;
  let plannedSource: PlannedMigrationSource | null = null;
  let failbackSource: FailbackSource | null = null;
  let failback: FailbackService | null = null;
  let planFailback: PlanFailbackService | null = null;
  const shutdown = new AbortController();
  try {
    const audit = new SqliteAuditLog(db, jobClock);
    // Site pairing: this server's certificate is its identity towards paired sites too.
    const siteIdentity = { name: config.site.name, certPem: certificate.certPem, keyPem: certificate.keyPem, thumbprint: certificate.thumbprint };
    sites = new SiteService({ store: new SqlitePeerStore(db, jobClock), identity: siteIdentity, siteUrl: () => siteListener?.url ?? '', clock: jobClock, log: log.child({ component: 'sites' }), onPairing: (c) => events.pairingChange(c) });
    const policies = new SqlitePolicyStore(db, { clock: jobClock });
    const pointReaders = new PointReaders();
    const limits = deps.jobLimits ?? runnerLimits(config.jobLimits);
    const maxQueued = (config.jobLimits ?? DEFAULT_JOB_LIMITS).queued;
    const jobs = openJobRecords(db, { clock: jobClock, log });
    runner = new JobRunner({ store: jobs.store, events: jobs.events, clock: jobClock, random: Math.random, log, limits, maxQueued });
    const recoveryStore = new SqliteRecoveryStore(db, jobClock);
    // A VM failed over to this site is backed up into the replica of its source site (failback).
    if (deps.backup) runner.register(BACKUP_JOB_KIND, deps.backup.backupHandler(policies, (vm, sig) => failback?.destinationOf(vm, sig) ?? Promise.resolve(null)));
    // Restores may read the copy on object storage, opened by the object-copy coordinator below.
    const copyReads = { open: (sig: AbortSignal) => (objectCopies ? objectCopies.open(sig) : Promise.reject(new Error('the server is not started'))), opened: () => objectCopies?.opened() ?? null };
    if (deps.backup) runner.register(RESTORE_JOB_KIND, deps.backup.restoreHandler(recoveryStore, deps.backup.openObjectCopy ? copyReads.open : null));
    if (deps.backup) {
      // Points restore jobs and exports are reading, or retention jobs locking, now: maintenance
      // leaves their VMs alone until they finish.
      const busyPoints = (): Set<string> => new Set([...pointReaders.busy(), ...pointsOfJobs(jobs.store.listActive())]);
      runner.register(RETENTION_JOB_KIND, deps.backup.retentionHandler());
      runner.register(MAINTENANCE_JOB_KIND, deps.backup.maintenanceHandler(policies, busyPoints));
    }
    for (const [kind, handler] of Object.entries(deps.jobHandlers ?? {})) runner.register(kind, handler);
    scheduler = new ProtectionScheduler({
      runner,
      policies,
      points: failbackAware(deps.restorePoints ?? deps.backup?.restorePoints ?? NO_RESTORE_POINTS, () => failback),
      placement: deps.placement ?? deps.backup?.placement ?? NO_PLACEMENT,
      clock: jobClock,
      log,
      limits,
      // A VM in a temporary revert, or one failed over to its DR site by a planned migration.
      held: () => new Set([...recoveryStore.heldVms(), ...(plannedSource?.heldVms() ?? []), ...(instantRevert?.heldVms() ?? []), ...(instantRuns?.heldVms() ?? [])]),
      heldReason: (key) => plannedSource?.heldReason(key) ?? instantRevert?.heldReason(key) ?? instantRuns?.heldReason(key),
    });
    const backup = deps.backup;
    const apiLog = log.child({ component: 'api' });
    // The routes read jobs from the store and the event hub, and export points through the points service.
    const downloads = new DownloadTickets(jobClock);
    shutdown.signal.addEventListener('abort', () => downloads.clear(), { once: true });
    const pointsBase = { jobs: jobs.store, runner, policies, readers: pointReaders, clock: jobClock, log: apiLog.child({ component: 'points' }) };
    const points = new PointsService({
      ...pointsBase,
      repository: deps.backup?.repository ?? null,
      objectStorageCopy: (id) => objectCopies?.copyOf(id) ?? null,
      objectCopy: deps.backup?.openObjectCopy ? copyReads : null,
      viewOver: (repository, held) => new PointsService({ ...pointsBase, repository, objectStorageCopy: held, objectCopy: null }),
    });
    const readSide = { jobs: jobs.store, events: jobs.events, points, downloads };
    const recovery = backup ? new RecoveryService({ runner, repository: backup.repository, objectCopy: backup.openObjectCopy ? copyReads : null, store: recoveryStore, vcenters: { vcenter: (guid, sig) => backup.vcenter(guid, sig) }, otherRevert: (vm) => instantRevert?.revertOf(vm)?.pointId }) : null;
    // After each backup whose policy names a replication site, a 'replication' job copies its point there.
    replication = backup ? startReplication({ runner, repository: backup.repository, peers: sites.directory, figures: sites.directory, identity: { name: config.site.name, certPem: certificate.certPem, keyPem: certificate.keyPem, thumbprint: certificate.thumbprint }, siteOfBackup: (job) => policies.getPolicy((job.params as { policyId: string }).policyId).replicationSite, logger: log }) : null;
    // After each backup whose policy asks for copies on object storage, an 'object-copy' job makes them.
    objectCopies = backup ? startObjectCopy({ runner, repository: backup.repository, openCopy: backup.openObjectCopy, ruleOfBackup: (job) => copyRuleOf(policies.getPolicy((job.params as { policyId: string }).policyId)), logger: log }) : null;
    // The DR site's side: replicas of the paired source sites, served by the site listener at /site/v1/replication.
    replicaSites = backup ? await backup.replicaSites({ keyPem: certificate.keyPem, retentionOf: (id) => { const peer = sites.directory.peer(id); return peer?.role === 'source' ? peer.settings : undefined; } }) : null;
    // Instant recovery: published restore points served over NFS, where the configuration says.
    nfs = config.nfs && backup ? await startNfsService({ config: config.nfs, dataDir: config.dataDir, repository: backup.repository, hold: (id) => pointReaders.hold(id), log: log.child({ component: 'nfs' }) }) : null;
    // Instant new instance and instant attach run from those publications through the NFS datastore `lifeline-<site name>`.
    instantRuns = nfs && config.nfs && backup ? await startInstantRuns({ runner, dataDir: config.dataDir, publications: nfs.publications, repository: backup.repository, vcenters: { vcenter: (guid, sig) => backup.vcenter(guid, sig) }, export: { datastoreName: datastoreNameFor(config.site.name), remoteHost: config.nfs.host, remotePath: nfs.server.export } }) : null;
    // Instant revert: a VM runs from its point on the NFS datastore, then is moved home or put back.
    const nfsAt = nfs && config.nfs ? { service: nfs, host: config.nfs.host } : null;
    instantRevert = backup ? await startInstantRevert({ runner, dataDir: config.dataDir, siteName: config.site.name, nfs: nfsAt, repository: backup.repository, vcenter: (guid, sig) => backup.vcenter(guid, sig), otherRevert: (vm) => recoveryStore.getRevert(vm)?.pointId }) : null;
    // Before any job runs: a publication made for an instant revert or recovery that no record owns was left by a crash.
    if (nfs) await reconcilePublications(nfs.publications, [instantRevert, instantRuns], (m) => log.warn(m, { component: 'instant' }));
    if (replicaSites) stopReplicaPrune = pruneReplicasAfterMaintenance(runner, replicaSites, () => sites.directory.peers().map((p) => p.id), log);
    // Disaster recovery at the DR site: mappings, failover and drills of the source sites' replicated VMs.
    const replicas = replicaSites;
    const dr: DrService | null = backup && replicas ? startDisasterRecovery({ db, clock: jobClock, runner, recoveryStore, vcenters: { vcenter: (guid, sig) => backup.vcenter(guid, sig) }, vcenterGuids: [...config.vcenters.values()].map((vc) => vc.guid.toLowerCase()), peer: (id) => sites.directory.peer(id), peers: () => sites.directory.peers(), replica: (id, sig) => replicas.replica(id, sig), source: sourceSiteLink(sites.directory, siteIdentity), ...drHooks(config.hookSets) }) : null;
    // Planned migration at the source site: its DR site asks for the last copy of a VM (served at /site/v1/dr).
    const coordinatorForDr = replication;
    plannedSource = backup && coordinatorForDr
      ? new PlannedMigrationSource({
          db,
          clock: jobClock,
          runner,
          peer: (id) => sites.directory.peer(id),
          replicationSiteOf: (vm) => { const p = policies.getProtection(vm); return p ? policies.getPolicy(p.policyId).replicationSite : null; },
          vcenter: (guid, sig) => backup.vcenter(guid, sig),
          backupNow: async (vm, by, sig) => (await scheduler.backupNow(vm, by, sig)).job,
          replicate: (vm, site, pointId) => coordinatorForDr.enqueue(vm, site, pointId),
          replications: (vm) => runner.list({ kind: REPLICATION_JOB_KIND, target: vmTarget(vm), limit: 20 }).items,
        })
      : null;
    // Failback: at the DR site a failed-over VM is sent back; at the source site its point is taken in and recovered.
    if (backup && replicas && recovery && plannedSource) {
      const rec = recovery;
      failback = new FailbackService({ store: new SqliteDrStore(db, jobClock), runner, clock: jobClock, vcenter: (guid, sig) => backup.vcenter(guid, sig), replica: (id, sig) => replicas.replica(id, sig), link: failbackLink(sites.directory, siteIdentity),
        backup: failbackBackup({ vcenter: (guid, sig) => backup.vcenter(guid, sig), clock: jobClock, hookSets: config.hookSets, policyOf: (vm) => { const p = policies.getProtection(vm); return p ? policies.getPolicy(p.policyId) : null; } }),
        dropBackupSnapshot: failbackSnapshotDrop((guid, sig) => backup.vcenter(guid, sig)) });
      // A recovery plan's failback: a step per VM, each the failback above.
      if (dr) planFailback = new PlanFailbackService({ store: new SqliteDrStore(db, jobClock), runner, clock: jobClock, failback, plan: (id) => dr.plan(id) });
      failbackSource = new FailbackSource({ clock: jobClock, runner, peer: (id) => sites.directory.peer(id), replicationSiteOf: (vm) => { const p = policies.getProtection(vm); return p ? policies.getPolicy(p.policyId).replicationSite : null; }, marks: plannedSource.marks, repository: backup.repository, vcenter: (guid, sig) => backup.vcenter(guid, sig), recovery: {
        revert: async (vm, pointId, by, sig) => (await rec.revert(vm, pointId, false, by, sig)).job,
        commitRevert: (vm, by) => rec.commitRevert(vm, by).job,
        instantiate: async (pointId, r, by, sig) => (await rec.instantiate(pointId, { ...r, folder: null, pool: null, host: null }, by, sig)).job,
      } });
    }
    // Events out: job outcomes and RPO changes recorded in the outbox, delivered to the channels.
    const vcenterEvents = backup ? { extensionKey: EXTENSION_KEY, vcenterGuids: [...config.vcenters.values()].map((vc) => vc.guid), vcenter: (guid: string, sig: AbortSignal) => backup.vcenter(guid, sig) } : null;
    // The point hook of lifeline.json runs after each new point with its id and links.
    const hook = config.pointHook;
    const pointHook = hook ? (env: Record<string, string>, sig: AbortSignal) => runHookScript(scriptSpecOf(hook), env, sig) : null;
    // Webhooks that ask for them get download links (tickets) of each new point's disks.
    const exportLinks = backup ? { issue: (g: DownloadGrant) => downloads.issue(g), disksOf: (id: string) => (points.find(id) ? backup.repository.catalog.pointDisks(id) : null), baseUrl: () => listenedUrl } : null;
    events = new EventsService({ db, dataDir: config.dataDir, clock: jobClock, random: Math.random, randomBytes: systemRandomBytes, log: log.child({ component: 'events' }), version, vcenters: vcenterEvents, summary: serverSummary({ compliance: (sig) => scheduler.compliance(sig), repository: backup?.repository ?? null }), exportLinks, pointHook, ...deps.events });
    events.listen({ jobs: runner, rpo: scheduler });
    // Replication lag and store space, looked at every minute.
    const coordinator = replication;
    events.watch({
      replication: coordinator ? replicationFacts({ compliance: (sig) => scheduler.compliance(sig), policy: (id) => policies.getPolicy(id), vmReplication: (vm, p) => coordinator.vmReplication(vm, p) }) : null,
      store: backup ? async (sig) => { const s = await backup.repository.space(sig); return s && { totalBytes: s.totalBytes, freeBytes: s.freeBytes, reserveBytes: backup.repository.reserveBytes }; } : null,
    });
    events.start();
    metrics = createMetrics({ jobs: runner, compliance: (sig) => scheduler.compliance(sig), store: storeFactsOf(backup?.repository ?? null, jobClock), events });
    // Scrapers may authenticate with a client certificate issued by the CA in the data directory.
    metricsClientCa = await readMetricsClientCa(config.dataDir);
    services = { policies, runner, scheduler, audit, clock: jobClock, log: log.child({ component: 'api' }), shutdown: shutdown.signal, sseHeartbeatMs: deps.sseHeartbeatMs ?? 15_000, repository: deps.backup?.repository ?? null, recovery, objectStorageCopies: Boolean(backup?.openObjectCopy), hookSets: [...config.hookSets.keys()].sort(), settings: () => settings(limits, maxQueued), ...readSide, sites, replication, dr, drSource: plannedSource, failback, planFailback, notifications: events, metrics: { metrics, tokenFile: join(config.dataDir, METRICS_TOKEN_FILE), clientCa: metricsClientCa !== null }, publications: nfs, instantRuns, instantRevert };
  } catch (err) {
    await nfs?.stop();
    db.close();
    throw err;
  }
  // Jobs left running by the last process are marked interrupted before start() first awaits;
  // their clean-ups may take long and run in the background.
  const started = runner.start().then(
    (report) => {
      if (report.interrupted.length + report.cleanupFailed.length > 0) log.warn('job runner started after an unclean stop', { ...report });
      return true;
    },
    (err: unknown) => {
      log.error('job runner failed to start; no backups are scheduled', { error: describeError(err) });
      return false;
    },
  );
  // A failback Lifeline stopped under is settled from the step it recorded, once its job is marked interrupted.
  void started.then((ok) => ok && !shutdown.signal.aborted && failback?.resumeInterrupted());
  let stopSweeper: (() => Promise<void>) | null = null;
  let maintenanceSchedule: MaintenanceSchedule | null = null;
  if (deps.backup) {
    const backup = deps.backup;
    // After the runner has marked the last process's jobs interrupted, so that their snapshots
    // count as orphans; the scheduler then keeps every protected VM within its RPO, and the
    // repository's retention, garbage collection and verification run once a day.
    void started.then((ok) => {
      if (!ok || shutdown.signal.aborted) return;
      stopSweeper = backup.startSweeper(runner);
      scheduler.start();
      const m = config.maintenance;
      if (deps.maintenance) maintenanceSchedule = startMaintenanceSchedule({ runner, clock: jobClock, log, ...deps.maintenance });
      else if (m.enabled) maintenanceSchedule = startMaintenanceSchedule({ runner, clock: jobClock, log, at: m.at, verifyPercent: m.verifyPercent });
    });
  }
  /** Before the runner stops and the database closes, on every path that ends the server. */
  const stopBackground = async (): Promise<void> => {
    shutdown.abort();
    scheduler.stop();
    maintenanceSchedule?.stop();
    metrics.stop();
    await events.stop();
    await stopSweeper?.();
    replication?.stop();
    failback?.stop();
    planFailback?.stop();
    await objectCopies?.stop();
    stopReplicaPrune?.();
    await replicaSites?.close();
    await nfs?.stop();
  };

  const vcenters = new Map<string, VcenterTarget>(
    [...config.vcenters.values()].map((vc) => [vc.guid, { guid: vc.guid, url: vc.url, thumbprint: vc.thumbprint }]),
  );
  const sessions = new SessionCache<S>({
    cloner: deps.cloner,
    idleMs: config.sessionIdleSeconds * 1000,
    log: log.child({ component: 'sessions' }),
    ...deps.sessions,
  });
  const inFlight = new InFlightRequests();
  const app = createApp({
    log: log.child({ component: 'api' }),
    version,
    authorizer: new Authorizer(sessions, vcenters, log.child({ component: 'auth' })),
    tracker: inFlight,
    services,
    frameAncestors: [...config.vcenters.values()].map((vc) => new URL(vc.url).origin),
    uiDir: config.uiDir,
    plugin,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });

  // What an administrator reads at /settings; the URL is known once listening.
  let listenedUrl = '';
  const settings = (limits: ConcurrencyLimits, queued: number): ServerSettings => {
    const repo = deps.backup?.repository ?? null;
    const passphraseInDataDir = repo !== null && repo.encrypted && existsSync(join(config.dataDir, PASSPHRASE_FILE));
    return {
      version,
      dataDir: config.dataDir,
      storeDir: repo?.dir ?? null,
      storeEncrypted: repo?.encrypted ?? null,
      passphraseInDataDir,
      vcenters: [...config.vcenters.values()].map((vc) => ({ guid: vc.guid, url: vc.url, user: vc.user, thumbprint: vc.thumbprint })),
      sessionIdleSeconds: config.sessionIdleSeconds,
      jobLimits: { ...limits, queued },
      serverUrl: listenedUrl,
      certificateThumbprint: certificate.thumbprint,
      maintenance: repo
        ? {
            enabled: config.maintenance.enabled,
            at: formatDailyTime(config.maintenance.at),
            verifyPercent: config.maintenance.verifyPercent,
            nextRunAt: maintenanceSchedule ? new Date(maintenanceSchedule.nextRunAt()).toISOString() : null,
          }
        : null,
      warnings: passphraseInDataDir ? [PASSPHRASE_WARNING] : [],
    };
  };

  let listener: Awaited<ReturnType<typeof listenHttps>> | undefined;
  try {
    listener = await listenHttps(app, inFlight, {
      host: config.host,
      port: config.port,
      keyPem: certificate.keyPem,
      certPem: certificate.certPem,
      clientCaPem: metricsClientCa,
      log,
      shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
    });
    siteListener = await startSiteListener({
      host: config.site.host,
      port: config.site.port,
      keyPem: certificate.keyPem,
      certPem: certificate.certPem,
      service: sites,
      audit: services.audit,
      log,
      shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
      advertisedUrl: config.site.url,
      siteRoutes: (peerRouter) => {
        // The DR site's side of replication, for paired source sites only (behind the peer middleware).
        const replicas = replicaSites;
        if (replicas) peerRouter.use('/replication', createReplicationRouter({ receiverFor: (peer) => replicas.receiverFor(peer), logger: log.child({ component: 'replication' }) }));
        if (plannedSource) mountPlannedMigration(peerRouter, plannedSource, services.audit, log);
        if (failbackSource && deps.backup) mountFailback(peerRouter, failbackSource, deps.backup.repository, services.audit, log);
        deps.siteRoutes?.(peerRouter);
      },
    });
  } catch (err) {
    await listener?.stop();
    await stopBackground();
    await sessions.close();
    await runner.stop();
    await started;
    db.close();
    throw err;
  }
  const hostInUrl = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  const url = `https://${hostInUrl}:${listener.port}`;
  listenedUrl = url;
  const uiUrl = hasUi(config.uiDir) ? `${url}${uiPath(version)}` : null;
  const siteUrl = siteListener.url;
  log.info('Lifeline server listening', {
    url,
    siteUrl,
    site: config.site.name,
    thumbprint: certificate.thumbprint,
    version,
    vcenters: [...vcenters.keys()],
  });

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('Lifeline server stopping');
      // Event streams never end on their own; they must not hold the drain until its timeout.
      await stopBackground();
      await Promise.all([listener.stop(), siteListener?.stop()]);
      // After the listener: requests still running may need their sessions, jobs and database.
      await runner.stop();
      await started;
      await sessions.close();
      db.close();
      log.info('Lifeline server stopped');
    })().catch((err: unknown) => {
      log.error('Lifeline server did not stop cleanly', { error: describeError(err) });
      throw err;
    });
    return stopping;
  };

  return {
    url,
    host: listener.host,
    port: listener.port,
    thumbprint: certificate.thumbprint,
    certFile: certificate.certFile,
    uiUrl,
    pluginUrl: plugin ? `${url}${pluginPath(version)}${MANIFEST_FILE}` : null,
    version,
    databaseFile: stateDatabasePath(config.dataDir),
    siteUrl,
    peers: sites.directory,
    stop,
  };
}

/** The version in Lifeline's package.json, found by walking up from this module. */
export async function productVersion(): Promise<string> {
  return (await lifelinePackage()).version;
}

/** The folder of Lifeline's package.json: manifest/ and plugin-server/demo-host/ sit below it. */
export async function lifelineRoot(): Promise<string> {
  return (await lifelinePackage()).dir;
}

async function lifelinePackage(): Promise<{ dir: string; version: string }> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'lifeline' && typeof pkg.version === 'string') return { dir, version: pkg.version };
    } catch {
      // Not here (or not ours): keep walking up.
    }
    dir = dirname(dir);
  }
  throw new Error("Lifeline's package.json was not found above its modules");
}

/**
 * The manifest to serve, checked now: the vSphere Client would reject a broken one only when a
 * user opens it. Without a manifest folder the server runs without one.
 */
async function loadPlugin(manifestDir: string | null): Promise<PluginFiles | null> {
  if (manifestDir === null || !existsSync(join(manifestDir, MANIFEST_FILE))) return null;
  return { manifestDir, manifest: servedManifest(await readManifestSource(manifestDir)) };
}

/** A VM failed over to this site keeps its points in the replica of its source (failback.ts): the scheduler looks there too. */
function failbackAware(own: RestorePointSource, failback: () => FailbackService | null): RestorePointSource {
  return { lastGoodPoints: async (vms, sig) => failback()?.lastGoodPoints(await own.lastGoodPoints(vms, sig), vms, sig) ?? own.lastGoodPoints(vms, sig) };
}

/** A recovery plan's VMs may run the configuration's hook sets (their post scripts) once up. */
function drHooks(sets: Config['hookSets']) {
  return {
    hookSets: [...sets.keys()].sort(),
    runHookSet: (name: string, env: Record<string, string>, sig: AbortSignal) => {
      const set = sets.get(name);
      return set ? runPostScripts(set, env, sig) : Promise.resolve({ ok: false, messages: [`hook set ${name} is no longer declared in lifeline.json`] });
    },
  };
}
