// The server as `lifeline serve` starts it (server/production-server.ts): from a configuration
// alone it creates the encrypted store with its passphrase file (0600), listens over real HTTPS
// on loopback with the TLS identity it keeps in the data directory, stops listening when stopped,
// and the next start opens the same store with the passphrase it wrote.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConfig } from '../../plugin-server/src/config/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { PASSPHRASE_FILE, startProductionServer } from '../../plugin-server/src/server/index.js';
import { httpsCall } from './https-client.js';
import { removeDir, tempDir } from './server-fixture.js';

describe('the server as lifeline serve starts it', () => {
  let dataDir: string;
  const log = createLogger({ level: 'error', write: () => undefined });

  beforeEach(async () => {
    dataDir = await tempDir('lifeline-serve-');
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  const configOf = (dir: string) => buildConfig({ file: { host: '127.0.0.1', port: 0, storeReserveGiB: 0 }, filePath: null, env: {}, flags: { dataDir: dir }, cwd: dir });

  it('creates its store, answers over HTTPS, stops, and starts again on the same store', async () => {
    const first = await startProductionServer(configOf(dataDir), log);
    let health;
    try {
      health = await httpsCall(`${first.url}/api/v1/health`, { thumbprint: first.thumbprint });
    } finally {
      await first.stop();
    }
    expect(health.status).toBe(200);
    expect((await stat(join(dataDir, 'store', 'config'))).isFile()).toBeTrue();
    expect((await stat(join(dataDir, PASSPHRASE_FILE))).mode & 0o777).toBe(0o600);
    await expectAsync(httpsCall(`${first.url}/api/v1/health`, { thumbprint: first.thumbprint })).toBeRejected();
    // A second stop is the same stop.
    await expectAsync(first.stop()).toBeResolved();

    const second = await startProductionServer(configOf(dataDir), log);
    try {
      const again = await httpsCall(`${second.url}/api/v1/health`, { thumbprint: second.thumbprint });
      expect(again.status).toBe(200);
      expect(second.thumbprint).toBe(first.thumbprint);
    } finally {
      await second.stop();
    }
  });
});
