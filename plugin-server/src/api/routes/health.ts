import { Router } from 'express';

export interface HealthDeps {
  readonly version: string;
  readonly clock: () => Date;
}

/**
 * GET /api/v1/health: whether the server answers, for load balancers and the vCenter's plugin
 * health check. It needs no session, so it says nothing about vCenters, users or backups.
 */
export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, time: deps.clock().toISOString() });
  });
  return router;
}
