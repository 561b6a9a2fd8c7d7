/**
 * GET /metrics: Lifeline's Prometheus metrics (events/metrics.ts), for a scraper rather than a
 * vSphere user, so it takes a bearer token or a client certificate (mutual TLS) instead of a
 * vCenter session. The token is the content of `<dataDir>/metrics-token` (owner-only, read on every
 * scrape so it can be changed without a restart). With `<dataDir>/metrics-client-ca.pem` at start,
 * the HTTPS listener asks clients for a certificate and verifies it against the CA certificates in
 * that file (and only those); a scraper presenting one that verifies needs no token. A
 * self-signed client certificate put in that file is pinned: it verifies as its own CA. Without
 * either file the endpoint is off (404).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Router, type Request, type Response } from 'express';
import { ValidationError } from '../../errors/index.js';
import { requirePrivateFile } from '../../config/secret-file.js';
import type { LifelineMetrics, StoreFacts } from '../../events/index.js';
import type { Repository } from '../../store/index.js';
import { storageFigures } from './storage.js';
import { requestContext } from '../request-context.js';

export const METRICS_TOKEN_FILE = 'metrics-token';
/** CA certificates (PEM) a scraper's client certificate must chain to; read at start. */
export const METRICS_CLIENT_CA_FILE = 'metrics-client-ca.pem';

/** The CA certificates of the metrics' mutual TLS, or null when it is not set up. */
export async function readMetricsClientCa(dataDir: string): Promise<string | null> {
  const file = join(dataDir, METRICS_CLIENT_CA_FILE);
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ValidationError(`${METRICS_CLIENT_CA_FILE} in the data directory holds no PEM certificate`, { field: METRICS_CLIENT_CA_FILE });
  return pem;
}

/** Whether the request came with a client certificate that the listener verified against the metrics CA. */
function verifiedClient(req: Request): boolean {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return false;
  const cert = socket.getPeerCertificate();
  return typeof cert.fingerprint256 === 'string' && cert.fingerprint256.length > 0;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function refuse(res: Response, status: number, code: string, detail: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="Lifeline metrics"');
  res.status(status).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));
}

/** `clientCa`: the listener verifies client certificates against the metrics CA (METRICS_CLIENT_CA_FILE). */
export function metricsRoutes(metrics: LifelineMetrics | null, tokenFile: string, clientCa = false): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!metrics) return refuse(res, 404, 'not-found', 'This Lifeline server serves no metrics.');
    if (!(clientCa && verifiedClient(req))) {
      let token: string | null;
      try {
        await requirePrivateFile(tokenFile, 'metrics token');
        token = (await readFile(tokenFile, 'utf8')).trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        token = null;
      }
      const off = `Metrics are off: the file ${METRICS_TOKEN_FILE} in the data directory holds the bearer token that turns them on, or ${METRICS_CLIENT_CA_FILE} the CA of scrapers' client certificates.`;
      if (token === null && !clientCa) return refuse(res, 404, 'not-found', off);
      if (token !== null && token.length < 16 && !clientCa) return refuse(res, 404, 'not-found', `Metrics are off: the token in ${METRICS_TOKEN_FILE} is shorter than 16 characters.`);
      const m = /^Bearer ([^\s]+)$/.exec(req.get('authorization') ?? '');
      const tokenOk = token !== null && token.length >= 16 && m?.[1] !== undefined && timingSafeEqual(digest(m[1]), digest(token));
      if (!tokenOk) return refuse(res, 401, 'unauthenticated', clientCa ? 'A scrape needs a client certificate issued by the metrics CA of this server, or its bearer token.' : 'A scrape needs the bearer token of this server.');
    }
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
