/**
 * The site service as `lifeline site …` uses it beside (or without) a running server: built from
 * the server's data directory — its database, where the pairings live, and its certificate, the
 * site's identity — and closed again after one command (docs/architecture.md).
 */
import type { Config } from '../config/index.js';
import { systemClock } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { SiteService, SqlitePeerStore } from '../sites/index.js';
import { openStateDatabase } from './state-database.js';
import { ensureServerCertificate } from './tls/server-certificate.js';

/** Runs `fn` with the site service of the server whose configuration is `config`, then closes its database. */
export async function withSiteService<T>(config: Config, log: Logger, fn: (sites: SiteService) => Promise<T>): Promise<T> {
  const certificate = await ensureServerCertificate({ dataDir: config.dataDir, names: [config.host], log });
  const db = openStateDatabase(config.dataDir);
  try {
    const store = new SqlitePeerStore(db, systemClock);
    const hostInUrl = config.site.host.includes(':') ? `[${config.site.host}]` : config.site.host;
    const configured = config.site.url ?? `https://${hostInUrl}:${config.site.port}`;
    const sites = new SiteService({
      store,
      identity: { name: config.site.name, certPem: certificate.certPem, keyPem: certificate.keyPem, thumbprint: certificate.thumbprint },
      // Where the server's site listener last listened (the configured port may be 0, "any").
      siteUrl: () => store.listenerUrl() ?? configured,
      clock: systemClock,
      log,
    });
    return await fn(sites);
  } finally {
    db.close();
  }
}
