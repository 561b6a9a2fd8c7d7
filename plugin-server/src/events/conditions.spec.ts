// Events from conditions: a VM's DR copy falling behind its RPO and catching up, and the store's
// free space crossing its thresholds, told once per change (and a replication episode once even
// when looked at again by a new process), with real timers and the real outbox.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, systemRandomBytes } from '../domain/index.js';
import { createLogger } from '../log/index.js';
import { EventsService } from './events-service.js';
import type { ReplicationFact, StoreSpaceFact } from './conditions.js';

const GiB = 1024 ** 3;

describe('events from conditions', () => {
  let dir: string;
  let db: Database.Database;
  const services: EventsService[] = [];

  const service = (): EventsService => {
    const s = new EventsService({ db, dataDir: dir, clock: systemClock, random: () => 0.5, randomBytes: systemRandomBytes, log: createLogger({ level: 'error', write: () => undefined }), version: 'test' });
    services.push(s);
    s.start();
    return s;
  };
  const types = (s: EventsService) => s.store.recentEvents({ limit: 100 }).reverse().map((e) => e.type);
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).withContext('condition not reached').toBeTrue();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-conditions-'));
    db = new Database(join(dir, 'lifeline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
  });

  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells when a VM\'s DR copy falls behind its RPO and when it is back, once each, across a restart', async () => {
    const vm = { vcenterGuid: 'vc-1', moref: 'vm-5' };
    let fact: ReplicationFact = { vm, site: 'dr-east', lagSeconds: 600, rpoSeconds: 3600, rpoMet: true, lastReplicatedPointId: 'p-1' };
    let looks = 0;
    const source = () => {
      looks++;
      return Promise.resolve([fact]);
    };
    const first = service();
    first.watch({ replication: source }, 20);
    await until(() => looks >= 3);
    expect(types(first)).toEqual([]);
    fact = { ...fact, lagSeconds: 7200, rpoMet: false };
    await until(() => types(first).length === 1);
    const lagging = first.store.recentEvents({ type: 'replication.lagging' })[0];
    expect(lagging).toEqual(jasmine.objectContaining({ severity: 'warning', vm, site: 'dr-east' }));
    expect(lagging?.data).toEqual(jasmine.objectContaining({ lagSeconds: 7200, rpoSeconds: 3600, lastReplicatedPointId: 'p-1' }));
    // Still behind, and a new process looks again: the same episode is not told twice.
    const seen = looks;
    await until(() => looks >= seen + 3);
    await first.stop();
    const second = service();
    looks = 0;
    second.watch({ replication: source }, 20);
    await until(() => looks >= 3);
    expect(types(second)).toEqual(['replication.lagging']);
    fact = { ...fact, lagSeconds: 60, rpoMet: true, lastReplicatedPointId: 'p-2' };
    await until(() => types(second).length === 2);
    expect(types(second)).toEqual(['replication.lagging', 'replication.recovered']);
  });

  it('tells when the store runs low, is full and has room again', async () => {
    let space: StoreSpaceFact = { totalBytes: 100 * GiB, freeBytes: 50 * GiB, reserveBytes: 2 * GiB };
    let looks = 0;
    const s = service();
    s.watch({
      store: () => {
        looks++;
        return Promise.resolve(space);
      },
    }, 20);
    await until(() => looks >= 3);
    expect(types(s)).toEqual([]);
    space = { ...space, freeBytes: 8 * GiB };
    await until(() => types(s).length === 1);
    space = { ...space, freeBytes: 1 * GiB };
    await until(() => types(s).length === 2);
    const seen = looks;
    await until(() => looks >= seen + 3);
    space = { ...space, freeBytes: 40 * GiB };
    await until(() => types(s).length === 3);
    expect(types(s)).toEqual(['store.low', 'store.full', 'store.ok']);
    expect(s.store.recentEvents({ type: 'store.full' })[0]).toEqual(jasmine.objectContaining({ severity: 'critical', vm: null, message: jasmine.stringMatching(/full \(1\.0 GiB free of 100\.0 GiB/) }));
  });
});
