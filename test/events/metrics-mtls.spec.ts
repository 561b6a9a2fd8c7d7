// Prometheus metrics over mutual TLS, on the real HTTPS listener: with the scrapers' CA in the
// data directory at start, a scrape presenting a client certificate that CA issued is served
// without a token; one issued by another CA, or none at all, is refused (401), and the bearer
// token still works beside it; other API calls go on without a client certificate.
import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { parsePrometheusText } from '../../plugin-server/src/events/testing.js';
import { startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';

interface Issued {
  caCert: string;
  clientCert: string;
  clientKey: string;
}

/** A CA for scrapers and a client certificate it signed (selfsigned's clientCertificate). */
async function scraperCa(name: string): Promise<Issued> {
  const pems = await generate([{ name: 'commonName', value: `${name} CA` }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
    ],
    clientCertificate: { cn: `${name} scraper`, keyType: 'ec', algorithm: 'sha256' },
  } as Parameters<typeof generate>[1]);
  const p = pems as unknown as { cert: string; clientcert: string; clientprivate: string };
  return { caCert: p.cert, clientCert: p.clientcert, clientKey: p.clientprivate };
}

describe('Prometheus metrics over mutual TLS', () => {
  let fx: VcenterServer;
  let trusted: Issued;
  let stranger: Issued;

  /** GET /metrics over a fresh connection, with a client certificate and/or a bearer token. */
  const scrape = (client: { cert: string; key: string } | null, token?: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${fx.server.url}/metrics`, {
        method: 'GET',
        agent: false,
        // The server's certificate is self-signed: it is pinned by its thumbprint below.
        rejectUnauthorized: false,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
      req.on('socket', (s) =>
        s.once('secureConnect', () => {
          const seen = (s as TLSSocket).getPeerCertificate().fingerprint256;
          if (seen !== fx.server.thumbprint) req.destroy(new Error(`server certificate ${seen} is not the pinned one`));
        }),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    trusted = await scraperCa('Monitoring');
    stranger = await scraperCa('Elsewhere');
    fx = await startVcenterServer({
      sim: { vms: 1, disks: 1, diskSize: 1024 * 1024 },
      dataDirPrefix: 'lifeline-metrics-mtls-',
      prepare: (_vc, dataDir) => writeFile(join(dataDir, 'metrics-client-ca.pem'), trusted.caCert),
    });
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('serves a scraper whose client certificate the configured CA issued, and refuses others', async () => {
    const ok = await scrape({ cert: trusted.clientCert, key: trusted.clientKey });
    expect(ok.status).withContext(ok.text).toBe(200);
    const { types } = parsePrometheusText(ok.text);
    expect(types.get('lifeline_vm_rpo_age_seconds')).toBe('gauge');
    expect(types.get('lifeline_jobs_total')).toBe('counter');

    const other = await scrape({ cert: stranger.clientCert, key: stranger.clientKey });
    expect(other.status).toBe(401);
    expect(JSON.parse(other.text)).toEqual(jasmine.objectContaining({ code: 'unauthenticated' }));
    // The CA's own certificate is not a client's: a scraper without the CA's signature gets nothing.
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape(null, 'no-token-is-set-up-here')).status).toBe(401);
  });

  it('still takes the bearer token beside client certificates, and serves the API without one', async () => {
    const token = 'c0ffee5e4d3c2b1a0f9e8d7c6b5a4938';
    await writeFile(join(fx.dataDir, 'metrics-token'), `${token}\n`, { mode: 0o600 });
    expect((await scrape(null, token)).status).toBe(200);
    expect((await scrape({ cert: stranger.clientCert, key: stranger.clientKey }, token)).status).toBe(200);
    expect((await scrape(null, 'not-the-token-at-all-0000')).status).toBe(401);
    const health = await fx.call(null, 'GET', '/health');
    expect(health.status).toBe(200);
  });
});
