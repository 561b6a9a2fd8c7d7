/**
 * Planned migration and failback over the site link, wired: the DR site's requests to a source site (pinned
 * mutual TLS through sites/site-client.ts) and the source site's routes behind the peer
 * middleware, with their audit records in the server's audit log (docs/dr.md, "Planned migration").
 */
import type { Router } from 'express';
import type { AuditLog } from '../api/audit/audit-log.js';
import { requestContext } from '../api/request-context.js';
import { failbackSiteRouter, plannedMigrationSiteRouter, type FailbackBackup, type FailbackLink, type FailbackSnapshotDrop, type FailbackSource, type PlannedMigrationSource, type SourceFailbackStatus, type SourcePlannedStatus, type SourceSiteLink } from '../dr/index.js';
import { describeError, LifelineError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { Clock, VmRef } from '../domain/index.js';
import type { Config } from '../config/index.js';
import { hookPhaseTimeoutMs, noHooks } from '../hooks/index.js';
import { hooksForPolicy } from './backup-services.js';
import { BackupError, removeBackupSnapshot, runBackup, snapshotNameFor, type BackupVcenter, type ProtectionPolicy } from '../protection/index.js';
import { createReplicationRouter, HttpReplicaReceiver, ReplicaSiteReceiver, replicateWithRetry, type ReplicaReceiver } from '../replication/index.js';
import { openManifest, type Repository } from '../store/index.js';
import { peerRefusal, siteRequest, SITE_API_PREFIX, type PeerDirectory, type PeerIdentity, type SiteIdentity } from '../sites/index.js';

/** The DR site's requests to its source sites for planned migration. */
export function sourceSiteLink(directory: PeerDirectory, identity: SiteIdentity): SourceSiteLink {
  const peerOf = (id: string) => {
    const peer = directory.peer(id);
    if (!peer) throw new LifelineError('site-not-paired', `site ${id} is not paired with this site`, { siteId: id });
    return peer;
  };
  return {
    async startPlanned(peerId, body, signal) {
      const peer = peerOf(peerId);
      const reply = await siteRequest(peer.url, peer.thumbprint, identity, { method: 'POST', path: '/dr/planned-migrations', body, signal });
      const jobId = (reply.body as { jobId?: unknown } | null)?.jobId;
      if (reply.status !== 202 || typeof jobId !== 'string') throw peerRefusal(peer.url, reply);
      return { jobId };
    },
    async plannedStatus(peerId, jobId, signal) {
      const peer = peerOf(peerId);
      const reply = await siteRequest(peer.url, peer.thumbprint, identity, { method: 'GET', path: `/dr/planned-migrations/${encodeURIComponent(jobId)}`, signal });
      if (reply.status !== 200) throw peerRefusal(peer.url, reply);
      return reply.body as SourcePlannedStatus;
    },
  };
}

/** Mounts the source site's planned-migration routes at /dr on the peer router. */
export function mountPlannedMigration(peerRouter: Router, source: PlannedMigrationSource, audit: AuditLog, log: Logger): void {
  peerRouter.use(
    '/dr',
    plannedMigrationSiteRouter(source, (e) => {
      try {
        audit.append({ user: null, vcenterGuid: e.vcenterGuid, action: e.action, object: e.object, outcome: e.outcome, status: e.status, errorCode: e.errorCode, requestId: requestContext(e.req).id, details: e.details });
      } catch (err) {
        log.error('audit record not written', { action: e.action, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
}

/**
 * Failback at the DR site: the requests to the source site and the reverse replication of a point
 * of this site's replica of the source's repository, over a pinned mutual-TLS link to the source's
 * failback receiver (/site/v1/dr/failback/replication). Only the chunks the source lacks are sent.
 */
export function failbackLink(directory: PeerDirectory, identity: SiteIdentity): FailbackLink {
  const peerOf = (id: string) => {
    const peer = directory.peer(id);
    if (!peer) throw new LifelineError('site-not-paired', `site ${id} is not paired with this site`, { siteId: id });
    return peer;
  };
  return {
    async check(peerId, ask, signal) {
      const peer = peerOf(peerId);
      const reply = await siteRequest(peer.url, peer.thumbprint, identity, { method: 'POST', path: '/dr/failbacks/check', body: ask, signal });
      if (reply.status !== 204) throw peerRefusal(peer.url, reply);
    },
    async sendBack(peerId, replica, pointId, signal) {
      const peer = peerOf(peerId);
      const receiver = new HttpReplicaReceiver({ url: peer.url, identity, peerThumbprint: peer.thumbprint, basePath: `${SITE_API_PREFIX}/dr/failback/replication` });
      try {
        const r = await replicateWithRetry(replica, pointId, receiver, { signal });
        return { chunks: r.chunks, chunksSent: r.chunksSent, bytesSent: r.bytesSent };
      } finally {
        receiver.close();
      }
    },
    async start(peerId, body, signal) {
      const peer = peerOf(peerId);
      const reply = await siteRequest(peer.url, peer.thumbprint, identity, { method: 'POST', path: '/dr/failbacks', body, signal });
      const jobId = (reply.body as { jobId?: unknown } | null)?.jobId;
      if (reply.status === 202 && typeof jobId === 'string') return { jobId };
      const refusal = peerRefusal(peer.url, reply);
      // The source site answered and queued no job (failback-source.ts start(): a check that failed,
      // or its job queue full or stopping): it recovers nothing. Any other answer leaves that open.
      const peerCode = refusal.details['peerCode'];
      if ((reply.status >= 400 && reply.status < 500) || (reply.status === 503 && (peerCode === 'queue-full' || peerCode === 'runner-stopped'))) {
        throw new LifelineError('dr-failback-refused', `${refusal.message}; it started nothing`, { url: peer.url, peerCode, status: reply.status });
      }
      throw refusal;
    },
    async status(peerId, jobId, signal) {
      const peer = peerOf(peerId);
      const reply = await siteRequest(peer.url, peer.thumbprint, identity, { method: 'GET', path: `/dr/failbacks/${encodeURIComponent(jobId)}`, signal });
      if (reply.status !== 200) throw peerRefusal(peer.url, reply);
      return reply.body as SourceFailbackStatus;
    },
  };
}

/** What a failback's last backup takes from the VM's protection at this site. */
export interface FailbackBackupOptions {
  vcenter(guid: string, signal: AbortSignal): Promise<BackupVcenter>;
  readonly clock: Clock;
  /** The policy protecting the VM at this site, if any. */
  policyOf(vm: VmRef): ProtectionPolicy | null;
  /** The hook sets of the server's configuration, which policies name. */
  readonly hookSets: Config['hookSets'];
}

/**
 * The last backup of a failback: the recovered VM into the replica, as a point of the source's VM,
 * run as the VM's backups at this site run — its policy's consistency, its hook set around the
 * snapshot and its onQuiesceFailure (a VM this site does not protect: application-consistent,
 * falling back to crash-consistent). The VM is off by then, so that no write made here is lost,
 * and vSphere ignores quiescing for a powered-off VM (CreateSnapshot_Task, `quiesce`): the guest's
 * shutdown through VMware Tools is what quiesced it. A VM the failback had to power off is
 * crash-consistent, which is what a failed quiesce is to a backup: refused under onQuiesceFailure
 * 'fail' (the failback fails and the VM runs here again), a crash-consistent point otherwise.
 * Every disk is kept, whatever the policy excludes: A replaces the VM's disks one for one.
 */
export function failbackBackup(o: FailbackBackupOptions): FailbackBackup {
  return async (r) => {
    const policy = o.policyOf({ vcenterGuid: r.vcenterGuid, moref: r.moref });
    const onQuiesceFailure = policy?.onQuiesceFailure ?? 'crash-consistent';
    let consistency = policy?.consistency ?? 'application';
    if (consistency === 'application' && r.shutdown === 'powered-off') {
      const why = 'the guest did not shut down through VMware Tools and was powered off, so its disks are crash-consistent';
      if (onQuiesceFailure === 'fail') {
        throw new BackupError('backup-quiesce-failed', `${why}, and ${policy ? `policy "${policy.name}"` : 'the policy'} asks for an application-consistent point (onQuiesceFailure fail). Start VMware Tools in the guest (or give the failback a longer shutdown timeout), or set the policy's onQuiesceFailure to crash-consistent`, { vm: r.moref });
      }
      r.log(`${why}; the policy allows a crash-consistent point`, 'warn');
      consistency = 'crash';
    }
    const hooks = policy ? hooksForPolicy(o.hookSets, policy) : noHooks;
    if (policy?.hookSet) r.log(`running hook set ${policy.hookSet} of policy "${policy.name}" around the snapshot`);
    const made = await runBackup(
      { vcenter: await o.vcenter(r.vcenterGuid, r.signal), vcenterGuid: r.vcenterGuid, repository: r.replica, hooks, clock: o.clock, hookTimeoutMs: Math.max(5 * 60_000, hookPhaseTimeoutMs(o.hookSets.values())) },
      { jobId: r.jobId, vm: r.moref, policy: { consistency, onQuiesceFailure, excludedDisks: [], immutabilityDays: 0 }, storeAs: { vmId: r.vmId, diskKey: (d) => r.diskKeys.get(d.key) ?? d.key } },
      { signal: r.signal, phase: () => undefined, progress: () => undefined, log: (m, l) => r.log(m, l), saveCheckpoint: () => undefined },
    );
    return { pointId: made.pointId, bytesRead: made.bytesRead, newStoredBytes: made.newStoredBytes, consistency: made.consistency };
  };
}

/** Removes the snapshot a failback's last backup may have left (a restart cut it): `lifeline-<job id>` on the VM. */
export function failbackSnapshotDrop(vcenter: (guid: string, signal: AbortSignal) => Promise<BackupVcenter>): FailbackSnapshotDrop {
  return async (r) => removeBackupSnapshot(await vcenter(r.vcenterGuid, r.signal), r.moref, snapshotNameFor(r.jobId), null, r.signal);
}

/**
 * Mounts the source site's failback routes at /dr on the peer router: the requests (failback-source.ts)
 * and the receiver of the points sent back, into this site's own repository, for the VMs
 * `source.accepts` allows only; like every replication receiver it only adds.
 */
export function mountFailback(peerRouter: Router, source: FailbackSource, repository: Repository, audit: AuditLog, log: Logger): void {
  // One receiver keeps the sessions of every offer; each request is checked for its peer.
  const inner = new ReplicaSiteReceiver({ replicaOf: (id) => (id === repository.id ? repository : undefined), immutableDays: 0, logger: log });
  const receiverFor = (peer: PeerIdentity): ReplicaReceiver => {
    return {
      offer: async (offer, signal) => {
        if (offer.repositoryId !== repository.id) throw new LifelineError('replication-refused', 'a failback sends points of this site\'s own repository only');
        const manifest = openManifest(offer.manifest, repository.keys, offer.pointId, repository.id);
        try {
          source.accepts(peer.id, manifest.vm.id);
        } catch (err) {
          throw new LifelineError('replication-refused', describeError(err));
        }
        return inner.offer(offer, signal);
      },
      putChunk: (session, hex, stored, signal) => inner.putChunk(session, hex, stored, signal),
      commit: (session, signal) => inner.commit(session, signal),
    };
  };
  peerRouter.use('/dr/failback/replication', createReplicationRouter({ receiverFor, logger: log.child({ component: 'failback' }) }));
  peerRouter.use(
    '/dr',
    failbackSiteRouter(source, (e) => {
      try {
        audit.append({ user: null, vcenterGuid: e.vcenterGuid, action: e.action, object: e.object, outcome: e.outcome, status: e.status, errorCode: e.errorCode, requestId: requestContext(e.req).id, details: e.details });
      } catch (err) {
        log.error('audit record not written', { action: e.action, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
}
