// The two sites of `npm run demo` (test/demo/demo-dr-site.ts, demo-seed.ts): two vCenter
// simulators with instance UUIDs of their own and two Lifeline servers with their own stores,
// paired through both APIs as the demo pairs them, and the demo's seed — its Gold policy naming
// the DR site — whose backups are followed by replication jobs, so that a newcomer sees
// replication and the link's figures in the Sites view at once.
import { join } from 'node:path';
import { silentLogger } from '../../plugin-server/src/log/logger.js';
import type { LifelineServer } from '../../plugin-server/src/server/lifeline-server.js';
import { pairDemoSites, startDrSite, type DrSite } from '../demo/demo-dr-site.js';
import { seedDemo } from '../demo/demo-seed.js';
import { httpsCall } from '../server/https-client.js';
import type { Vcsim } from '../vcsim/harness.js';
import { tempDir } from '../store/store-fixtures.js';

const SLOW = 600_000;

async function api<T>(side: { server: LifelineServer; vc: Vcsim }, path: string): Promise<T> {
  const reply = await httpsCall(`${side.server.url}/api/v1${path}`, { thumbprint: side.server.thumbprint, headers: { 'vmware-api-session-id': await side.vc.soapLogin() } });
  if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.text}`);
  return reply.json() as T;
}

describe('the demo\'s two sites', () => {
  it(
    'start paired, and the demo\'s backups are replicated to the DR site with the link\'s figures in the Sites view',
    async () => {
      const dir = await tempDir('lifeline-demo-sites-');
      const lifetime = new AbortController();
      const started: DrSite[] = [];
      try {
        // The production site is started as the demo's DR site is: a simulator, a store, a server.
        const production = await startDrSite({ dataDir: join(dir.path, 'production'), apiPort: 0, sitePort: 0, name: 'production', log: silentLogger, signal: lifetime.signal });
        started.push(production);
        const dr = await startDrSite({ dataDir: join(dir.path, 'dr-site'), apiPort: 0, sitePort: 0, name: 'dr-site', log: silentLogger, signal: lifetime.signal });
        started.push(dr);
        expect(production.vc.instanceUuid.toLowerCase()).not.toBe(dr.vc.instanceUuid.toLowerCase());

        await pairDemoSites(production, dr);
        const [peer] = (await api<{ peers: { name: string; role: string }[] }>(production, '/sites')).peers;
        expect(peer).toEqual(jasmine.objectContaining({ name: 'dr-site', role: 'target' }));
        const [source] = (await api<{ peers: { name: string; role: string }[] }>(dr, '/sites')).peers;
        expect(source).toEqual(jasmine.objectContaining({ name: 'production', role: 'source' }));

        await seedDemo({ server: production.server, vc: production.vc, dataBytes: 4 * 1024 * 1024, note: () => undefined, replicationSite: dr.config.site.name });
        let done: { state: string }[] = [];
        for (let i = 0; i < 1200 && done.length < 1; i++) {
          const failed = (await api<{ items: { error: unknown }[] }>(production, '/jobs?kind=replication&state=failed')).items;
          if (failed.length > 0) throw new Error(`a demo replication failed: ${JSON.stringify(failed[0]?.error)}`);
          done = (await api<{ items: { state: string }[] }>(production, '/jobs?kind=replication&state=succeeded')).items;
          if (done.length < 1) await new Promise((r) => setTimeout(r, 100));
        }
        expect(done.length).toBeGreaterThan(0);
        const link = (await api<{ peers: { link: { bytesSent: number } | null }[] }>(production, '/sites')).peers[0]?.link;
        expect(link?.bytesSent).toBeGreaterThan(0);
      } finally {
        for (const s of started.reverse()) await s.stop();
        lifetime.abort();
        await dir.remove();
      }
    },
    SLOW,
  );
});
