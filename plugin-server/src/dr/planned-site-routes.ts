/**
 * The production site's routes for planned migration on the site listener, mounted at
 * /site/v1/dr behind the peer middleware (so only a paired site reaches them, by its pinned
 * client certificate; the middleware puts the peer in `res.locals.peer`):
 *
 * - `POST /planned-migrations` `{ vmId, shutdownTimeoutSeconds }` — 202 `{ jobId }`: starts the
 *   `planned-migration` job (planned-migration.ts); refused (409 `dr-planned-refused`) unless the
 *   asking site is the DR site the VM replicates to. Audited as `dr.planned-migration-accept`.
 * - `GET /planned-migrations/{jobId}` — the job's state, for the site that asked for it only.
 */
import express, { Router, type Request, type Response } from 'express';
import { isLifelineError, NotFoundError } from '../errors/index.js';
import { parseVmKey } from '../domain/index.js';
import type { PlannedMigrationSource } from './planned-migration.js';

export interface PlannedSiteAuditEvent {
  readonly action: string;
  readonly object: string | null;
  readonly vcenterGuid: string | null;
  readonly outcome: 'success' | 'failure';
  readonly status: number;
  readonly errorCode: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly req: Request;
}

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;

function peerOf(res: Response): { id: string; name: string; thumbprint: string } {
  return (res.locals as { peer: { id: string; name: string; thumbprint: string } }).peer;
}

export function plannedMigrationSiteRouter(source: PlannedMigrationSource, audit: (e: PlannedSiteAuditEvent) => void): Router {
  const router = Router();
  router.post('/planned-migrations', express.json({ limit: '16kb' }), (req, res) => {
    const peer = peerOf(res);
    const vmId = (req.body as { vmId?: unknown } | null)?.vmId;
    const vm = typeof vmId === 'string' ? parseVmKey(vmId) : null;
    let jobId: string | null = null;
    res.once('finish', () => {
      const error = (res.locals as { siteError?: unknown }).siteError;
      audit({
        action: 'dr.planned-migration-accept',
        object: vm ? `vm:${vm.vcenterGuid}:${vm.moref}` : null,
        vcenterGuid: vm?.vcenterGuid ?? null,
        outcome: res.statusCode >= 400 ? 'failure' : 'success',
        status: res.statusCode,
        errorCode: res.statusCode >= 400 ? (isLifelineError(error) ? error.code : `http-${res.statusCode}`) : null,
        details: { site: peer.id, siteName: peer.name, thumbprint: peer.thumbprint, jobId },
        req,
      });
    });
    const job = source.start(peer.id, req.body);
    jobId = job.id;
    res.status(202).json({ jobId: job.id });
  });
  router.get('/planned-migrations/:jobId', (req, res) => {
    const id = req.params['jobId'] ?? '';
    if (!JOB_ID.test(id)) throw new NotFoundError(`no planned migration ${id} of the asking site`, { jobId: id });
    res.json(source.status(peerOf(res).id, id));
  });
  return router;
}
