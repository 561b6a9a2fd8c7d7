// The backup services as the server wires them, against the vCenter simulator with a real store,
// a real SQLite database and a real HTTPS listener: the service-account connection that jobs
// share, and what is left running when the server cannot start.
import { createServer, type Server } from 'node:net';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBackupServices, PASSPHRASE_FILE, type BackupServices } from '../../plugin-server/src/server/backup-services.js';
import { initRepository } from '../../plugin-server/src/store/repository.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { captureLog, noVcenter, removeDir, startTestServer, tempDir, testConfig } from '../server/server-fixture.js';

describe('backup services', () => {
  let sim: Vcsim;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startVcsim({ vms: 1, disks: 1, diskSize: '4MiB' });
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
  });

  beforeEach(async () => {
    dataDir = await tempDir('lifeline-backup-services-');
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, sim.password, { mode: 0o600 });
    env = {
      LIFELINE_VCENTER_GUID: sim.instanceUuid,
      LIFELINE_VCENTER_URL: sim.url,
      LIFELINE_VCENTER_THUMBPRINT: sim.thumbprint,
      LIFELINE_VCENTER_USER: sim.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
      LIFELINE_STORE_DIR: join(dataDir, 'store'),
    };
  });

  afterEach(async () => {
    await removeDir(dataDir);
  });

  async function open(clock: ManualClock, lifetime: AbortController, port?: number): Promise<{ backup: BackupServices; captured: ReturnType<typeof captureLog> }> {
    const config = testConfig(dataDir, { ...env, ...(port === undefined ? {} : { LIFELINE_PORT: String(port) }) });
    const captured = captureLog();
    const backup = await openBackupServices({ config, log: captured.log, clock, env: { LIFELINE_PASSPHRASE: 'backup services passphrase' } }, lifetime.signal);
    return { backup, captured };
  }

  it('does not fail a job waiting on the shared vCenter login when the job that started it is cancelled', async () => {
    const lifetime = new AbortController();
    const { backup, captured } = await open(new ManualClock(Date.now()), lifetime);
    try {
      const first = new AbortController();
      const second = new AbortController();
      const a = backup.vcenter(sim.instanceUuid, first.signal);
      const b = backup.vcenter(sim.instanceUuid, second.signal);
      first.abort(new Error('backup cancelled'));
      await expectAsync(a).toBeRejectedWithError('backup cancelled');
      const vc = await b;
      expect(vc.instanceUuid).toBe(sim.instanceUuid);
      // The same connection for the next job, and it works.
      expect(await backup.vcenter(sim.instanceUuid, new AbortController().signal)).toBe(vc);
      expect((await vc.listVms()).length).toBe(1);
      expect(captured.lines.join('\n')).not.toContain(sim.password);
    } finally {
      lifetime.abort();
      await backup.close();
    }
  }, 180_000);

  it('reads the store passphrase file as the command line does: less one newline, spaces kept', async () => {
    const passphrase = ' spaced passphrase ';
    await initRepository(join(dataDir, 'store'), { encrypt: true, passphrase, scrypt: { N: 1024, r: 8, p: 1 } }, new AbortController().signal);
    await writeFile(join(dataDir, PASSPHRASE_FILE), `${passphrase}\n`, { mode: 0o600 });
    const lifetime = new AbortController();
    const backup = await openBackupServices({ config: testConfig(dataDir, env), log: captureLog().log, clock: new ManualClock(Date.now()), env: {} }, lifetime.signal);
    try {
      expect(backup.repository.encrypted).toBeTrue();
    } finally {
      lifetime.abort();
      await backup.close();
    }
  });

  it('refuses a store passphrase file that its group or other users can read, naming the file and its mode', async () => {
    const passphrase = 'exposed passphrase';
    await initRepository(join(dataDir, 'store'), { encrypt: true, passphrase, scrypt: { N: 1024, r: 8, p: 1 } }, new AbortController().signal);
    const file = join(dataDir, PASSPHRASE_FILE);
    await writeFile(file, `${passphrase}\n`, { mode: 0o644 });
    await chmod(file, 0o644);
    const lifetime = new AbortController();
    const opening = openBackupServices({ config: testConfig(dataDir, env), log: captureLog().log, clock: new ManualClock(Date.now()), env: {} }, lifetime.signal);
    await expectAsync(opening).toBeRejectedWith(jasmine.objectContaining({ code: 'secret-file-exposed', message: jasmine.stringMatching(/0644.*chmod 600/) }));
    lifetime.abort();
  });

  it('leaves no scheduler or sweeper running when the server cannot listen', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const clock = new ManualClock(Date.now());
    const lifetime = new AbortController();
    const { backup, captured } = await open(clock, lifetime, port);
    try {
      const config = testConfig(dataDir, { ...env, LIFELINE_PORT: String(port), LIFELINE_HOST: '127.0.0.1' });
      await expectAsync(startTestServer(config, captured.log, noVcenter, { backup, jobClock: clock, manifestDir: null })).toBeRejected();
      // Nothing waits to run against the closed database; a later scheduling round would fail.
      await clock.advance(60 * 60_000);
      expect(clock.pendingTimers()).toBe(0);
      expect(captured.lines.filter((l) => l.includes('scheduling round failed'))).toEqual([]);
    } finally {
      busy.close();
      lifetime.abort();
      await backup.close();
    }
  }, 180_000);
});
