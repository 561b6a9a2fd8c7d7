// The site listener of one server without a vCenter: where it listens, what it says of itself to
// any client, and the address it gives other sites when one is configured.
import Database from 'better-sqlite3';
import { captureLog, noVcenter, removeDir, startTestServer, tempDir, testConfig } from '../server/server-fixture.js';
import { siteCall } from './two-site-fixture.js';

describe('the site listener', () => {
  const start = async (env: Record<string, string>) => {
    const dataDir = await tempDir('lifeline-site-listener-');
    const captured = captureLog();
    const server = await startTestServer(testConfig(dataDir, env), captured.log, noVcenter);
    const listened = String(captured.records().find((r) => r['msg'] === 'site listener listening')?.['url']);
    return { server, listened, stop: async () => (await server.stop(), await removeDir(dataDir)) };
  };

  it('listens beside the API on a port of its own and names itself to any client, without a certificate', async () => {
    const { server, listened, stop } = await start({ LIFELINE_SITE_NAME: 'dr-east' });
    try {
      expect(server.siteUrl).toBe(listened);
      expect(new URL(server.siteUrl).hostname).toBe('127.0.0.1');
      expect(new URL(server.siteUrl).port).not.toBe(String(server.port));
      const hello = await siteCall(server.siteUrl, null, 'GET', '/hello');
      expect(hello.json()).toEqual({ name: 'dr-east', thumbprint: server.thumbprint, siteUrl: server.siteUrl });
      // The same certificate as the API's.
      expect(hello.serverThumbprint).toBe(server.thumbprint);
      // Not the API: its routes are not served here.
      expect((await siteCall(server.siteUrl, null, 'GET', '/../../api/v1/health')).status).toBe(404);
    } finally {
      await stop();
    }
  });

  it('gives other sites the configured address, and records it for the lifeline site commands', async () => {
    const { server, listened, stop } = await start({ LIFELINE_SITE_NAME: 'dr-east', LIFELINE_SITE_URL: 'https://dr-east.example.com:9543' });
    try {
      expect(server.siteUrl).toBe('https://dr-east.example.com:9543');
      expect((await siteCall(listened, null, 'GET', '/hello')).json()['siteUrl']).toBe('https://dr-east.example.com:9543');
      const db = new Database(server.databaseFile, { readonly: true });
      try {
        expect(db.prepare('SELECT url FROM site_listener').get()).toEqual({ url: 'https://dr-east.example.com:9543' });
      } finally {
        db.close();
      }
    } finally {
      await stop();
    }
  });
});
