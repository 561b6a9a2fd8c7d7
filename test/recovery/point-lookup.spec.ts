// Recovery looks a restore point up in a real repository: a point the catalog does not have is
// 'not-found', and any other failure of the lookup (here a catalog whose database is closed) is
// reported as itself, never turned into 'not-found'.
import Database from 'better-sqlite3';
import { systemClock, systemRandom } from '../../plugin-server/src/domain/index.js';
import { createJobRunner } from '../../plugin-server/src/jobs/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { RecoveryService, SqliteRecoveryStore } from '../../plugin-server/src/recovery/index.js';
import { readPoint } from '../../plugin-server/src/recovery/recovery-steps.js';
import { initRepository, Repository } from '../../plugin-server/src/store/index.js';
import { never, tempDir } from '../store/store-fixtures.js';

describe('recovery: looking up a restore point', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let repo: Repository;
  let db: Database.Database;
  let service: RecoveryService;
  const missing = '20250102-030405-1a2b3c4d';

  beforeEach(async () => {
    dir = await tempDir('point-lookup');
    await initRepository(dir.path, { encrypt: false }, never);
    repo = await Repository.open(dir.path, { codecThreads: 1 }, never);
    db = new Database(':memory:');
    const runner = createJobRunner(db, { clock: systemClock, random: systemRandom, log: silentLogger, limits: { global: 1 } });
    // point() reads only the repository; no vCenter is asked for.
    const vcenters = { vcenter: () => Promise.reject(new Error('no vCenter in this suite')) };
    service = new RecoveryService({ runner, repository: repo, store: new SqliteRecoveryStore(db, systemClock), vcenters });
  });

  afterEach(async () => {
    await repo.close().catch(() => undefined);
    db.close();
    await dir.remove();
  });

  it("answers 'not-found' for a point the catalog does not have", async () => {
    await expectAsync(service.point(missing, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-found' }));
    await expectAsync(readPoint(repo, missing, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-found' }));
  });

  it('reports a catalog that fails as that failure, not as a missing point', async () => {
    await repo.close();
    await expectAsync(service.point(missing, never)).toBeRejectedWithError(/not open/);
    await expectAsync(readPoint(repo, missing, never)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/not open/) }));
  });
});
