/**
 * Two sites' replication link on loopback for the link suites: each site gets a certificate of its
 * own (the server certificate Lifeline makes, api/tls/server-certificate.ts), and the DR site a
 * mutual-TLS HTTPS listener that does what the site listener does before its routes: ask for the
 * client's certificate, compare its SHA-256 with the paired peers' and answer any other with 403,
 * or hand the peer on in `res.locals.peer`. Behind it, the replication router over ReplicaSites.
 * Real TLS, real HTTP, real repositories.
 */
import express from 'express';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import { silentLogger } from '../../plugin-server/src/log/logger.js';
import { presentedThumbprint } from '../../plugin-server/src/domain/index.js';
import { createReplicationRouter, type PeerIdentity, type ReplicaReceiver, type SiteIdentity, type SiteReplicaReceiver } from '../../plugin-server/src/replication/index.js';

export async function siteIdentity(dataDir: string, name: string): Promise<SiteIdentity> {
  const c = await ensureServerCertificate({ dataDir, log: silentLogger, names: ['127.0.0.1'] });
  return { name, certPem: c.certPem, keyPem: c.keyPem, thumbprint: c.thumbprint };
}

export interface SiteListener {
  url: string;
  /** Requests refused because the client's certificate is not a paired peer's. */
  refused: number;
  close(): Promise<void>;
}

/** The DR site's site listener on 127.0.0.1, with the replication routes mounted as the site listener mounts them. */
export async function startSiteListener(opts: {
  identity: SiteIdentity;
  peers: () => readonly PeerIdentity[];
  receiverFor: (peer: PeerIdentity) => ReplicaReceiver | SiteReplicaReceiver;
  port?: number;
}): Promise<SiteListener> {
  const app = express();
  const state = { refused: 0 };
  app.use('/site/v1', (req, res, next) => {
    const presented = presentedThumbprint(req.socket as TLSSocket);
    const peer = presented ? opts.peers().find((p) => p.thumbprint === presented) : undefined;
    if (!peer) {
      state.refused++;
      res.status(403).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'site-not-paired', detail: 'this certificate is not a paired site\'s' }));
      return;
    }
    res.locals['peer'] = peer;
    next();
  });
  app.use('/site/v1/replication', createReplicationRouter({ receiverFor: opts.receiverFor, logger: silentLogger }));
  const server = https.createServer({ cert: opts.identity.certPem, key: opts.identity.keyPem, requestCert: true, rejectUnauthorized: false }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const identityDir = (root: string, site: string): string => join(root, `${site}-data`);
