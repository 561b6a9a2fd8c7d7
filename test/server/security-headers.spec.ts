// Every answer of the server (the plugin UI, plugin.json, the API, errors included) may be framed
// only by the vCenters Lifeline serves and by itself, tells browsers to keep to HTTPS, and forbids
// guessing a type from the content.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpsCall, type HttpsReply } from './https-client.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

describe('security headers', () => {
  let fx: VcenterServer;

  beforeAll(async () => {
    fx = await startVcenterServer({
      dataDirPrefix: 'lifeline-headers-',
      prepare: async (_vc, dataDir) => {
        await mkdir(join(dataDir, 'ui'));
        await writeFile(join(dataDir, 'ui', 'index.html'), '<!doctype html><title>Lifeline</title>');
      },
      env: (_vc, dataDir) => ({ LIFELINE_UI_DIR: join(dataDir, 'ui') }),
    });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const expectHeaders = (reply: HttpsReply, what: string): void => {
    const vcOrigin = new URL(fx.vc.url).origin;
    expect(String(reply.headers['content-security-policy'])).withContext(what).toBe(`frame-ancestors 'self' ${vcOrigin}`);
    expect(String(reply.headers['strict-transport-security'])).withContext(what).toMatch(/^max-age=\d{7,}/);
    expect(reply.headers['x-content-type-options']).withContext(what).toBe('nosniff');
  };

  it('sends frame-ancestors limited to the vCenters, HSTS and nosniff on the UI, plugin.json and the API', async () => {
    const get = (url: string) => httpsCall(url, { thumbprint: fx.server.thumbprint });
    const ui = await get(fx.server.uiUrl ?? '');
    expect(ui.status).toBe(200);
    expectHeaders(ui, 'UI');
    const manifest = await get(fx.server.pluginUrl ?? '');
    expect(manifest.status).toBe(200);
    expectHeaders(manifest, 'plugin.json');
    expectHeaders(await fx.call(null, 'GET', '/health'), 'health');
    expectHeaders(await fx.call(null, 'GET', '/jobs'), 'a refused API call');
    expectHeaders(await get(`${fx.server.url}/no/such/thing`), 'not found');
  });
});
