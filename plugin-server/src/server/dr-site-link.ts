/**
 * Planned migration over the site link, wired: the DR site's requests to a source site (pinned
 * mutual TLS through sites/site-client.ts) and the source site's routes behind the peer
 * middleware, with their audit records in the server's audit log (docs/dr.md, "Planned migration").
 */
import type { Router } from 'express';
import type { AuditLog } from '../api/audit/audit-log.js';
import { requestContext } from '../api/request-context.js';
import { plannedMigrationSiteRouter, type PlannedMigrationSource, type SourcePlannedStatus, type SourceSiteLink } from '../dr/index.js';
import { LifelineError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { peerRefusal, siteRequest, type PeerDirectory, type SiteIdentity } from '../sites/index.js';

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
