// A stand-in Lifeline server for registration tests: real TLS with a certificate made by the
// server's own certificate code, serving a plugin manifest at /ui/plugin.json.
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerCertificate } from '../../plugin-server/src/server/tls/server-certificate.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';

export interface PluginEndpoint {
  /** https://127.0.0.1:PORT/ui/plugin.json */
  readonly pluginUrl: string;
  readonly origin: string;
  /** SHA-256 thumbprint of its certificate, colon-separated upper-case hex. */
  readonly thumbprint: string;
  stop(): Promise<void>;
}

export async function startPluginEndpoint(): Promise<PluginEndpoint> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-reg-'));
  const cert = await ensureServerCertificate({ dataDir, log: silentLogger });
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    if (req.url === '/ui/plugin.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ manifestVersion: '1.2.0', requirements: { 'plugin.api.version': '1.0.0' }, configuration: { nameKey: 'Lifeline' } }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    pluginUrl: `${origin}/ui/plugin.json`,
    origin,
    thumbprint: cert.thumbprint,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
