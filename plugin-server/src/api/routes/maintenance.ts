/**
 * POST /api/v1/maintenance (Lifeline's Admin privilege on the inventory root of every vCenter
 * Lifeline serves, since it prunes and verifies every vCenter's restore points): runs repository
 * maintenance now — policy retention, garbage collection, verification — as the daily schedule
 * does (protection/repository-maintenance.ts). The body may name the steps and the share of chunks
 * to verify; 202 with the job, or the one already running (`created: false`).
 */
import { Router } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { MAINTENANCE_JOB_KIND, MAINTENANCE_TARGET, parseMaintenanceParams } from '../../protection/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES } from '../privileges.js';
import type { ApiServices } from './api-services.js';

export function maintenanceRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  router.post('/maintenance', audited(svc.audit, svc.log, 'repository.maintenance', () => 'repository:store'), auth.require({ privileges: [PRIVILEGES.admin] }), async (req, res) => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    if (!svc.runner.hasHandler(MAINTENANCE_JOB_KIND)) {
      throw new LifelineError('backup-unavailable', 'This Lifeline server has no backup repository to maintain.');
    }
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('The request body must be a JSON object.', { field: 'body' });
    const params = parseMaintenanceParams({ ...body, trigger: 'manual' });
    const { session } = authorizedCall<S>(req);
    const { job, created } = svc.runner.submit({ kind: MAINTENANCE_JOB_KIND, target: MAINTENANCE_TARGET, params, requestedBy: session.userName });
    noteAudit(req, { details: { jobId: job.id, created, steps: params.steps.join(',') } });
    res.status(202).location(`${req.baseUrl}/jobs/${job.id}`).json({ job, created });
  });
  return router;
}
