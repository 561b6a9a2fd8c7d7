import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isLifelineError } from '../errors/index.js';
import { DEFAULT_REPLICATION_SETTINGS, parseReplicationSettings } from './replication-settings.js';
import { SqlitePeerStore } from './peer-store.js';

const T1 = 'AA:'.repeat(31) + 'AA';
const T2 = 'BB:'.repeat(31) + 'BB';

describe('SqlitePeerStore', () => {
  let dir: string;
  let db: Database.Database;
  let now: number;
  let store: SqlitePeerStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-peers-'));
    db = new Database(join(dir, 'lifeline.db'));
    now = Date.parse('2026-01-01T00:00:00Z');
    store = new SqlitePeerStore(db, { now: () => now });
  });
  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the link\'s figures of a paired peer across a reopening, and drops them with the pairing', () => {
    const p = store.add({ name: 'dr', url: 'https://dr:8543', thumbprint: T1, role: 'target', settings: DEFAULT_REPLICATION_SETTINGS });
    expect(store.linkFigures(p.id)).toBeUndefined();
    const figures = { bytesSent: 123_456_789_012, lastContactAt: '2026-01-01T00:00:05.000Z', lastError: null, errorCode: null };
    store.recordLinkFigures(p.id, figures);
    store.recordLinkFigures(p.id, { ...figures, bytesSent: 123_456_789_013, lastError: 'connect ECONNREFUSED', errorCode: 'site-unreachable' });
    const reopened = new SqlitePeerStore(db, { now: () => now });
    expect(reopened.linkFigures(p.id)).toEqual({ ...figures, bytesSent: 123_456_789_013, lastError: 'connect ECONNREFUSED', errorCode: 'site-unreachable' });
    expect(reopened.remove(p.id)).toBeTrue();
    expect(reopened.linkFigures(p.id)).toBeUndefined();
    // Figures for a peer no longer paired (a job still ending) are not kept.
    reopened.recordLinkFigures(p.id, figures);
    expect(reopened.linkFigures(p.id)).toBeUndefined();
  });

  it('keeps the points a paired peer holds across a reopening, forgets those gone here, and drops them with the pairing', () => {
    const p = store.add({ name: 'dr', url: 'https://dr:8543', thumbprint: T1, role: 'target', settings: DEFAULT_REPLICATION_SETTINGS });
    store.recordReplicatedPoint(p.id, 'vc:vm-1', 'p1');
    store.recordReplicatedPoint(p.id, 'vc:vm-1', 'p2');
    store.recordReplicatedPoint(p.id, 'vc:vm-1', 'p2');
    store.recordReplicatedPoint(p.id, 'vc:vm-2', 'p3');
    const reopened = new SqlitePeerStore(db, { now: () => now });
    expect(reopened.replicatedPoints(p.id, 'vc:vm-1').sort()).toEqual(['p1', 'p2']);
    reopened.forgetReplicatedPoints(p.id, 'vc:vm-1', ['p2', 'p9']);
    expect(reopened.replicatedPoints(p.id, 'vc:vm-1')).toEqual(['p2']);
    expect(reopened.replicatedPoints(p.id, 'vc:vm-2')).toEqual(['p3']);
    expect(reopened.remove(p.id)).toBeTrue();
    expect(reopened.replicatedPoints(p.id, 'vc:vm-2')).toEqual([]);
    // Nothing is kept for a peer no longer paired.
    reopened.recordReplicatedPoint(p.id, 'vc:vm-1', 'p4');
    expect(reopened.replicatedPoints(p.id, 'vc:vm-1')).toEqual([]);
  });

  it('finds a peer by id, name or thumbprint, and pairs a site once', () => {
    const p = store.add({ name: 'dr', url: 'https://dr:8543', thumbprint: T1, role: 'target', settings: DEFAULT_REPLICATION_SETTINGS });
    expect(store.peer(p.id)).toEqual(p);
    expect(store.peer('dr')).toEqual(p);
    expect(store.byThumbprint(T1)).toEqual(p);
    expect(store.peer('other')).toBeUndefined();
    for (const again of [{ name: 'dr2', url: 'https://dr2:8543', thumbprint: T1 }, { name: 'dr', url: 'https://x:8543', thumbprint: T2 }, { name: 'x', url: 'https://dr:8543', thumbprint: T2 }]) {
      let code = '';
      try {
        store.add({ ...again, role: 'target', settings: DEFAULT_REPLICATION_SETTINGS });
      } catch (err) {
        code = isLifelineError(err) ? err.code : String(err);
      }
      expect(code).withContext(JSON.stringify(again)).toBe('site-paired');
    }
    expect(store.remove(p.id)).toBeTrue();
    expect(store.peers()).toEqual([]);
  });

  it('gives a code\'s key once, within 15 minutes, and says why not otherwise', () => {
    const key = Buffer.alloc(32, 7);
    store.issueCode('a'.repeat(64), key, 15 * 60_000);
    store.issueCode('b'.repeat(64), key, 15 * 60_000);
    expect(store.takeCode('a'.repeat(64), T1)).toEqual({ ok: true, key });
    expect(store.takeCode('a'.repeat(64), T1)).toEqual({ ok: false, reason: jasmine.stringMatching(/already used at 2026-01-01T00:00:00.000Z/) });
    expect(store.takeCode('c'.repeat(64), T1)).toEqual({ ok: false, reason: jasmine.stringMatching(/not one this site issued/) });
    now += 15 * 60_000;
    expect(store.takeCode('b'.repeat(64), T1)).toEqual({ ok: false, reason: jasmine.stringMatching(/expired at 2026-01-01T00:15:00.000Z/) });
    // Nothing of a code but its derived id and key is stored.
    expect(Object.keys(db.prepare('SELECT * FROM site_pairing_code LIMIT 1').get() as object).sort()).toEqual(['code_id', 'created_at', 'expires_at', 'proof_key', 'used_at', 'used_by']);
  });
});

describe('parseReplicationSettings', () => {
  it('fills in the defaults and keeps a change\'s other members', () => {
    expect(parseReplicationSettings({})).toEqual(DEFAULT_REPLICATION_SETTINGS);
    const base = parseReplicationSettings({ bandwidthMBps: 100, retention: { keepLast: 2 } });
    expect(base.retention).toEqual({ ...DEFAULT_REPLICATION_SETTINGS.retention, keepLast: 2 });
    expect(parseReplicationSettings({ immutableDays: 30 }, 'settings', base)).toEqual({ ...base, immutableDays: 30 });
  });

  it('names the field of every mistake', () => {
    const cases: Array<[unknown, string]> = [
      [[], 'settings'],
      [{ speed: 1 }, 'settings.speed'],
      [{ bandwidthMBps: -1 }, 'settings.bandwidthMBps'],
      [{ window: { from: '08:00', to: '08:00', bandwidthMBps: 1 } }, 'settings.window.to'],
      [{ bandwidthMBps: 5, window: { from: '08:00', to: '18:00', bandwidthMBps: 10 } }, 'settings.window.bandwidthMBps'],
      [{ retention: { hourly: 1 } }, 'settings.retention.hourly'],
      [{ retention: { keepLast: 1.5 } }, 'settings.retention.keepLast'],
      [{ immutableDays: 4000 }, 'settings.immutableDays'],
      [{ maxConcurrentVms: 0 }, 'settings.maxConcurrentVms'],
    ];
    for (const [raw, field] of cases) {
      let got = '';
      try {
        parseReplicationSettings(raw);
      } catch (err) {
        got = isLifelineError(err) ? String(err.details['field']) : String(err);
      }
      expect(got).withContext(JSON.stringify(raw)).toBe(field);
    }
  });
});
