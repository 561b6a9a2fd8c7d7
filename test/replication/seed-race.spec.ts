// Two replication jobs of one source site may both find the DR site without a replica and send
// its seed at once (the demo does, with two VMs replicating after their first backups). The DR
// site must make one replica of it, not two over each other.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { replicaFolder, sealSeedFor } from '../../plugin-server/src/replication/index.js';
import { FAST_SCRYPT, never, tempDir } from '../store/store-fixtures.js';
import { replicasDir, startLinkSites, type LinkSites } from './link-sites.js';

describe('seeds of one source arriving at once', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let s: LinkSites | undefined;

  afterEach(async () => {
    await s?.close();
    s = undefined;
    await dir.remove();
  });

  it('make one replica: the first is created, the others find it', async () => {
    dir = await tempDir('seed-race');
    s = await startLinkSites(dir.path);
    const der = Buffer.from(s.idB.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const receiver = s.sites.receiverFor(s.peerA);
    const seeds = await Promise.all([1, 2, 3].map(() => sealSeedFor(s!.a, der, never, { scrypt: FAST_SCRYPT })));
    const answers = await Promise.all(seeds.map((seed) => receiver.acceptSeed(seed, never)));
    expect([...answers].sort()).toEqual(['created', 'exists', 'exists']);
    // The replica made is the one B opens: it answers offers for A's repository.
    const replica = join(replicasDir(dir.path), replicaFolder(s.peerA.id));
    expect((await readdir(replica)).length).toBeGreaterThan(0);
    await expectAsync(s.sites.receiverFor(s.peerA).acceptSeed(seeds[0]!, never)).toBeResolvedTo('exists');
  });
});
