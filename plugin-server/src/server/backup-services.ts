/**
 * Wires the backup pipeline into the server: the repository in the configured store directory,
 * the service-account vCenter connections backups run with, the 'backup' job handler, the
 * restore-point source of the scheduler and the orphan snapshot sweeper.
 *
 * Backups run under Lifeline's own service account (configured per vCenter), never under a user's
 * cloned session: a scheduled backup has no user, and a user's session may end mid-backup. The user
 * who asks for "back up now" is still checked and audited by the API before the job is queued.
 *
 * The hook sets of the configuration run around the snapshot of every VM whose policy names one.
 * A policy naming a set the configuration no longer declares fails its backups (saying which set
 * and which policy) rather than backing up without the scripts that make the point consistent.
 *
 * The embedded default store is encrypted. When it does not exist yet it is created with a random
 * passphrase written to `<dataDir>/store.passphrase` (mode 0600), and the log says so, so that the
 * administrator can move the passphrase somewhere safe and export the key.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { requirePrivateFile } from '../config/secret-file.js';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { LifelineError, describeError } from '../errors/index.js';
import { HookSetMissingError, hookPhaseTimeoutMs, hooksOfSet, noHooks, type BackupHooks } from '../hooks/index.js';
import type { JobHandler } from '../jobs/index.js';
import { vmKey, type Clock, type VmRef } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import {
  createBackupJobHandler,
  createMaintenanceJobHandler,
  createRetentionJobHandler,
  OrphanSnapshotSweeper,
  StoreRestorePointSource,
  type BackupJobDeps,
  type PolicyStore,
  type ProtectionPolicy,
  type RestorePointSource,
  type SweepJobs,
  type VmPlacementSource,
} from '../protection/index.js';
import { createRestoreJobHandler, type RecoveryStore } from '../recovery/index.js';
import { ensureObjectCopy, initRepository, Repository, type S3Location } from '../store/index.js';
import { connectVcenter, type Vcenter, type VmInfo } from '../vsphere/index.js';
import { readVcenterPassword } from './vcenter-password.js';
import { ReplicaSites, type ReplicaSitesOptions } from '../replication/index.js';

export interface BackupServices {
  readonly repository: Repository;
  readonly restorePoints: RestorePointSource;
  /** The datastores of each VM's disks, for the scheduler's per-datastore limit. */
  readonly placement: VmPlacementSource;
  /** The 'backup' job handler; it needs the server's policy store, made after this. */
  backupHandler(policies: Pick<PolicyStore, 'getPolicy'>, destinationOf?: BackupJobDeps['destinationOf']): JobHandler;
  /** The 'restore' job handler (revert, new instance, clone and attach), over the server's recovery state; restores asked to read the copy on object storage open it with `objectCopy`. */
  restoreHandler(store: RecoveryStore, objectCopy?: ((signal: AbortSignal) => Promise<Repository>) | null): JobHandler;
  /**
   * The 'maintenance' job handler: policy retention, garbage collection, verification.
   * `busyPoints` names the restore points being read right now (their VMs are left alone).
   */
  maintenanceHandler(policies: Pick<PolicyStore, 'getPolicy' | 'listProtections'>, busyPoints: () => ReadonlySet<string>): JobHandler;
  /** The 'retention' job handler: keeps one restore point longer. */
  retentionHandler(): JobHandler;
  /** This site's replicas of its paired source sites (DR site), in `<dataDir>/replicas`, under the store's passphrase. */
  replicaSites(o: Pick<ReplicaSitesOptions, 'keyPem' | 'retentionOf'>): Promise<ReplicaSites>;
  /**
   * Opens the copy on object storage (lifeline.json `copyS3`; its catalog in `<dataDir>/object-copy`),
   * creating it the first time; null when none is configured.
   */
  readonly openObjectCopy: ((signal: AbortSignal) => Promise<Repository>) | null;
  /** The service-account connection to a configured vCenter, as backups and restores use it. */
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<Vcenter>;
  /** Starts sweeping orphaned `lifeline-*` snapshots, now and on a timer; returns its stop. */
  startSweeper(jobs: SweepJobs): () => Promise<void>;
  close(): Promise<void>;
}

export interface BackupServicesOptions {
  readonly config: Pick<Config, 'dataDir' | 'storeDir' | 'storeReserveBytes' | 'storeS3' | 'copyS3' | 'vcenters' | 'hookSets'>;
  readonly log: Logger;
  readonly clock: Clock;
  /** A passphrase given by the environment wins over the passphrase file. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The passphrase file of the embedded default store, in the data directory. */
export const PASSPHRASE_FILE = 'store.passphrase';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function storePassphrase(opts: BackupServicesOptions, create: boolean): Promise<string> {
  const fromEnv = opts.env?.LIFELINE_PASSPHRASE;
  if (fromEnv) return fromEnv;
  const file = join(opts.config.dataDir, PASSPHRASE_FILE);
  if (create && !(await exists(file))) {
    const passphrase = randomBytes(24).toString('base64url');
    // 'wx': never replace a passphrase that another start wrote a moment ago.
    await writeFile(file, passphrase + '\n', { mode: 0o600, flag: 'wx' });
    opts.log.warn('created the store passphrase; keep a copy somewhere safe and export the key (lifeline repo key export)', { file });
    return passphrase;
  }
  // Refused, not only warned about: anyone who can read it can read every backup.
  if (await exists(file)) await requirePrivateFile(file, 'store passphrase');
  try {
    // As the command line reads a passphrase file: less one trailing newline, spaces kept, so a
    // passphrase set with `lifeline repo key passwd` opens the store here too.
    const text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    if (text === '') throw new Error('the file is empty');
    return text;
  } catch (err) {
    throw new LifelineError('store-passphrase-missing', `the store ${opts.config.storeDir} is encrypted and its passphrase file ${file} cannot be read (${describeError(err)}); set LIFELINE_PASSPHRASE or restore the file`);
  }
}

async function openStore(opts: BackupServicesOptions, signal: AbortSignal): Promise<Repository> {
  const dir = opts.config.storeDir;
  const clock = { now: () => opts.clock.now() };
  const reserveBytes = opts.config.storeReserveBytes;
  // A store on S3 keeps its config in the bucket and a note of the bucket here.
  if (!(await exists(join(dir, 'config'))) && !(await exists(join(dir, 'backend.json')))) {
    const passphrase = await storePassphrase(opts, true);
    const { requireObjectLock, ...s3 } = opts.config.storeS3 ?? {};
    await initRepository(dir, { encrypt: true, passphrase, clock, ...(opts.config.storeS3 ? { s3: s3 as S3Location, requireObjectLock } : {}) }, signal);
    opts.log.info('created the backup store', { dir });
    return Repository.open(dir, { passphrase, clock, reserveBytes }, signal);
  }
  return Repository.open(dir, { passphrase: await storePassphrase(opts, false), clock, reserveBytes }, signal);
}

/** Waits for `p`, giving up (without stopping it) when `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The hooks of a policy: its configured hook set, none without one, an error for a set that is gone. */
export function hooksForPolicy(hookSets: Config['hookSets'], policy: Pick<ProtectionPolicy, 'id' | 'name' | 'hookSet'>): BackupHooks {
  if (policy.hookSet === null) return noHooks;
  const set = hookSets.get(policy.hookSet);
  if (!set) throw new HookSetMissingError(policy.hookSet, policy);
  return hooksOfSet(set);
}

/** Each hook phase gets at least the pipeline's default 5 minutes, more when a set's scripts may take longer. */
const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;

export async function openBackupServices(opts: BackupServicesOptions, signal: AbortSignal): Promise<BackupServices> {
  const log = opts.log.child({ component: 'backup' });
  const repository = await openStore(opts, signal);
  const connections = new Map<string, Promise<Vcenter>>();

  const vcenter = (guid: string, sig: AbortSignal): Promise<Vcenter> => {
    const cfg = opts.config.vcenters.get(guid);
    if (!cfg) return Promise.reject(new LifelineError('vcenter-unknown', `vCenter ${guid} is not configured on this Lifeline server`));
    let conn = connections.get(guid);
    if (!conn) {
      // Shared by every job that asks meanwhile, so it ends only with the services, never with
      // the first asker's job: a cancelled backup must not fail the others waiting on the login.
      // The password file is read at every login, including the ones the session makes again
      // after vCenter forgot it: a rotated service password needs the file changed, no restart.
      const password = (sig?: AbortSignal) => readVcenterPassword(cfg, sig);
      const made = connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password, log }, signal);
      // A failed login is not cached: the next job tries again (the password may have been fixed).
      made.catch(() => {
        if (connections.get(guid) === made) connections.delete(guid);
      });
      connections.set(guid, made);
      conn = made;
    }
    return untilAborted(conn, sig);
  };

  // The scheduler asks for the datastores and the hosts of the same VMs at once (the same array):
  // one inventory read per vCenter answers both.
  const placementReads = new WeakMap<readonly VmRef[], Promise<Map<string, VmInfo>>>();
  const placementOf = (vms: readonly VmRef[], sig: AbortSignal): Promise<Map<string, VmInfo>> => {
    let read = placementReads.get(vms);
    if (!read) {
      read = readPlacement(vms, sig);
      placementReads.set(vms, read);
      // Only the questions asked together share a read: the next refresh reads again.
      const done = read;
      void done.finally(() => placementReads.delete(vms)).catch(() => undefined);
    }
    return read;
  };
  const readPlacement = async (vms: readonly VmRef[], sig: AbortSignal): Promise<Map<string, VmInfo>> => {
    const out = new Map<string, VmInfo>();
    const wanted = new Set(vms.map(vmKey));
    for (const guid of new Set(vms.map((vm) => vm.vcenterGuid))) {
      try {
        const inv = await (await vcenter(guid, sig)).inventory(sig);
        for (const vm of inv.vms) {
          const key = vmKey({ vcenterGuid: guid, moref: vm.moref });
          if (wanted.has(key)) out.set(key, vm);
        }
      } catch (err) {
        // Without placement the VMs still count against the global limit.
        log.warn('cannot read VM placement; the per-datastore and per-host limits are not applied', { vcenter: guid, error: describeError(err) });
      }
    }
    return out;
  };

  const copyS3 = opts.config.copyS3;
  const openCopy = async (sig: AbortSignal): Promise<Repository> => {
    const dir = join(opts.config.dataDir, 'object-copy');
    const clock = { now: () => opts.clock.now() };
    if (!copyS3) throw new LifelineError('object-copy-not-configured', 'no object storage for copies is configured');
    // Made the first time; a set-up an earlier run left half done is finished.
    const { requireObjectLock, ...s3 } = copyS3;
    return ensureObjectCopy(dir, repository, s3 as S3Location, { passphrase: await storePassphrase(opts, false), requireObjectLock, clock, logger: log }, sig);
  };

  let sweeper: OrphanSnapshotSweeper | null = null;
  return {
    openObjectCopy: copyS3 ? openCopy : null,
    repository,
    restorePoints: new StoreRestorePointSource(repository),
    placement: {
      async datastoresOf(vms, sig) {
        const out = new Map<string, readonly string[]>();
        for (const [key, vm] of await placementOf(vms, sig)) out.set(key, [...new Set(vm.disks.map((d) => d.datastore.moref ?? d.datastore.name))]);
        return out;
      },
      async hostsOf(vms, sig) {
        const out = new Map<string, string>();
        for (const [key, vm] of await placementOf(vms, sig)) if (vm.host !== undefined) out.set(key, vm.host);
        return out;
      },
    },
    backupHandler(policies, destinationOf) {
      return createBackupJobHandler({
        ...(destinationOf ? { destinationOf } : {}),
        repository,
        policies,
        vcenters: { vcenter },
        clock: opts.clock,
        hooksFor: (_vm, policy) => hooksForPolicy(opts.config.hookSets, policy),
        hookTimeoutMs: Math.max(DEFAULT_HOOK_TIMEOUT_MS, hookPhaseTimeoutMs(opts.config.hookSets.values())),
      }) as JobHandler;
    },
    restoreHandler(store, objectCopy) {
      return createRestoreJobHandler({ repository, vcenters: { vcenter }, store, objectCopy }) as JobHandler;
    },
    maintenanceHandler(policies, busyPoints) {
      return createMaintenanceJobHandler({ repository, policies, busyPoints }) as JobHandler;
    },
    retentionHandler() {
      return createRetentionJobHandler({ repository }) as JobHandler;
    },
    async replicaSites(o) {
      const context = { clock: { now: () => opts.clock.now() }, reserveBytes: opts.config.storeReserveBytes };
      return new ReplicaSites({ ...o, root: join(opts.config.dataDir, 'replicas'), passphrase: await storePassphrase(opts, false), context, logger: log });
    },
    vcenter,
    startSweeper(jobs) {
      sweeper = new OrphanSnapshotSweeper({
        vcenters: async () => {
          const out = [];
          for (const guid of opts.config.vcenters.keys()) {
            try {
              out.push({ vcenterGuid: guid, vcenter: await vcenter(guid, signal) });
            } catch (err) {
              log.warn('cannot sweep orphaned snapshots on a vCenter', { vcenter: guid, error: describeError(err) });
            }
          }
          return out;
        },
        jobs,
        clock: opts.clock,
        log,
      });
      const started = sweeper;
      started.start();
      return () => started.stop();
    },
    async close() {
      await sweeper?.stop();
      for (const conn of connections.values()) {
        const vc = await conn.catch(() => null);
        await vc?.logout().catch((err: unknown) => log.warn('logout failed', { error: describeError(err) }));
      }
      await repository.close();
    },
  };
}
