/**
 * GET /metrics: Lifeline's Prometheus metrics (events/metrics.ts), for a scraper rather than a
 * vSphere user, so it takes a bearer token instead of a vCenter session. The token is the content
 * of `<dataDir>/metrics-token` (owner-only, read on every scrape so it can be changed without a
 * restart); without that file the endpoint is off (404).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Router, type Response } from 'express';
import { requirePrivateFile } from '../../config/secret-file.js';
import type { LifelineMetrics, StoreFacts } from '../../events/index.js';
import type { Repository } from '../../store/index.js';
import { storageFigures } from './storage.js';
import { requestContext } from '../request-context.js';

export const METRICS_TOKEN_FILE = 'metrics-token';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function refuse(res: Response, status: number, code: string, detail: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="Lifeline metrics"');
  res.status(status).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));
}

export function metricsRoutes(metrics: LifelineMetrics | null, tokenFile: string): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!metrics) return refuse(res, 404, 'not-found', 'This Lifeline server serves no metrics.');
    let token: string;
    try {
      await requirePrivateFile(tokenFile, 'metrics token');
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return refuse(res, 404, 'not-found', `Metrics are off: the file ${METRICS_TOKEN_FILE} in the data directory holds the bearer token that turns them on.`);
      throw err;
    }
    if (token.length < 16) return refuse(res, 404, 'not-found', `Metrics are off: the token in ${METRICS_TOKEN_FILE} is shorter than 16 characters.`);
    const m = /^Bearer ([^\s]+)$/.exec(req.get('authorization') ?? '');
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), digest(token))) return refuse(res, 401, 'unauthenticated', 'A scrape needs the bearer token of this server.');
    const body = await metrics.render(requestContext(req).signal);
    res.type(metrics.registry.contentType).send(body);
  });
  return router;
}

/** What the metrics say of the backup store: its file system and the figures GET /storage shows. */
export function storeFactsOf(repo: Repository | null, clock: { now(): number }): (signal: AbortSignal) => Promise<StoreFacts | null> {
  return async (signal) => {
    if (!repo) return null;
    const space = await repo.space(signal);
    const f = storageFigures(repo, clock.now());
    return { totalBytes: space?.totalBytes ?? null, freeBytes: space?.freeBytes ?? null, storedBytes: f.storedBytes, logicalBytes: f.logicalBytes, dedupRatio: f.dedupRatio, points: f.points };
  };
}
