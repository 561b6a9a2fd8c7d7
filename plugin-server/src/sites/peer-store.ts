/**
 * The pairings of this site and the pairing codes it issued, in the server's SQLite database
 * (schema component "sites"): `site_peer`, one row per paired peer (its name, site URL, pinned
 * certificate thumbprint, role and replication settings), and `site_pairing_code`, one row per
 * code issued, holding only the code's derived id and proof key (pairing-code.ts), never the
 * code. A code row is consumed by the first pairing request that names it, whether that request
 * succeeds or not; expired and used rows are removed after a day. `site_listener` holds the
 * address the server's site listener last listened on, for `lifeline site` commands run beside it.
 * `site_link` keeps the figures of the replication link to each peer that outlive a restart (the
 * bytes sent since pairing, the last contact and the last error); it goes with the pairing.
 * `site_replicated_point` lists, per peer and VM, the restore points of this site the peer is
 * known to hold (each replicated, or answered "present", by a replication job), so that a job
 * after a restart does not offer the older points again; rows of points gone here are dropped
 * when the VM's next job plans, and all of a peer's with the pairing.
 */
import { randomUUID } from 'node:crypto';
import { LifelineError, NotFoundError } from '../errors/index.js';
import { migrateComponent, type Database, type Migration } from '../jobs/index.js';
import type { TimeSource } from '../domain/index.js';
import type { LinkFigures, PeerDirectory, PeerRecord, PeerRole, ReplicationSettings } from './site-types.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE site_peer (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          url TEXT NOT NULL UNIQUE,
          thumbprint TEXT NOT NULL UNIQUE,
          role TEXT NOT NULL CHECK (role IN ('source', 'target')),
          paired_at INTEGER NOT NULL,
          settings TEXT NOT NULL
        ) STRICT;
        CREATE TABLE site_pairing_code (
          code_id TEXT PRIMARY KEY,
          proof_key BLOB NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          used_at INTEGER,
          used_by TEXT
        ) STRICT;
        CREATE TABLE site_listener (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          url TEXT NOT NULL,
          started_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE site_link (
          peer_id TEXT PRIMARY KEY,
          bytes_sent INTEGER NOT NULL,
          last_contact_at INTEGER,
          last_error TEXT,
          error_code TEXT
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    up(db) {
      db.exec(`
        CREATE TABLE site_replicated_point (
          peer_id TEXT NOT NULL,
          vm_id TEXT NOT NULL,
          point_id TEXT NOT NULL,
          recorded_at INTEGER NOT NULL,
          PRIMARY KEY (peer_id, vm_id, point_id)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    // A source site that unpaired this DR site stays here, marked, with its replicas (site-service.ts).
    version: 4,
    up(db) {
      db.exec('ALTER TABLE site_peer ADD COLUMN unpaired_by_peer_at INTEGER');
    },
  },
];

interface PeerRow {
  id: string;
  name: string;
  url: string;
  thumbprint: string;
  role: PeerRole;
  paired_at: number;
  settings: string;
  unpaired_by_peer_at: number | null;
}

interface CodeRow {
  code_id: string;
  proof_key: Buffer;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
}

export interface NewPeer {
  readonly name: string;
  readonly url: string;
  readonly thumbprint: string;
  readonly role: PeerRole;
  readonly settings: ReplicationSettings;
}

/** A code as the pairing route takes it: its key, or why it cannot be used. */
export type TakenCode = { readonly ok: true; readonly key: Buffer } | { readonly ok: false; readonly reason: string };

const DAY_MS = 86_400_000;

export class SqlitePeerStore implements PeerDirectory {
  constructor(private readonly db: Database, private readonly clock: TimeSource) {
    migrateComponent(db, 'sites', MIGRATIONS);
  }

  peer(idOrName: string): PeerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM site_peer WHERE id = ? OR name = ?').get(idOrName, idOrName) as PeerRow | undefined;
    return row ? toPeer(row) : undefined;
  }

  peers(): PeerRecord[] {
    return (this.db.prepare('SELECT * FROM site_peer ORDER BY name').all() as PeerRow[]).map(toPeer);
  }

  /** The peer a site request comes from: one that unpaired this site is not (its requests are refused). */
  byThumbprint(thumbprint: string): PeerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM site_peer WHERE thumbprint = ? AND unpaired_by_peer_at IS NULL').get(thumbprint) as PeerRow | undefined;
    return row ? toPeer(row) : undefined;
  }

  /** Marks a source site that unpaired this site: kept, with its replicas, but refused (byThumbprint). */
  markUnpairedByPeer(id: string): void {
    this.db.prepare('UPDATE site_peer SET unpaired_by_peer_at = ? WHERE id = ? AND unpaired_by_peer_at IS NULL').run(this.clock.now(), id);
  }

  /** The paired peer that has this certificate, address or name, if any: a site is paired once. */
  conflicting(p: Pick<NewPeer, 'name' | 'url' | 'thumbprint'>): PeerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM site_peer WHERE thumbprint = ? OR url = ? OR name = ?').get(p.thumbprint, p.url, p.name) as PeerRow | undefined;
    return row ? toPeer(row) : undefined;
  }

  add(p: NewPeer): PeerRecord {
    const add = this.db.transaction(() => {
      // A source site that unpaired this site pairs again: the record it left, and with it the
      // replica this site holds of it, is taken up again.
      const former = this.db.prepare("SELECT * FROM site_peer WHERE thumbprint = ? AND unpaired_by_peer_at IS NOT NULL AND role = 'source'").get(p.thumbprint) as PeerRow | undefined;
      if (former && p.role === 'source') {
        const clash = this.db.prepare('SELECT * FROM site_peer WHERE id != ? AND (url = ? OR name = ?)').get(former.id, p.url, p.name) as PeerRow | undefined;
        if (clash) throw alreadyPaired(toPeer(clash), p);
        this.db
          .prepare('UPDATE site_peer SET name = ?, url = ?, paired_at = ?, settings = ?, unpaired_by_peer_at = NULL WHERE id = ?')
          .run(p.name, p.url, this.clock.now(), JSON.stringify(p.settings), former.id);
        return this.peer(former.id) as PeerRecord;
      }
      const existing = this.conflicting(p);
      if (existing) throw alreadyPaired(existing, p);
      const id = randomUUID();
      this.db
        .prepare('INSERT INTO site_peer (id, name, url, thumbprint, role, paired_at, settings) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, p.name, p.url, p.thumbprint, p.role, this.clock.now(), JSON.stringify(p.settings));
      return this.peer(id) as PeerRecord;
    });
    return add();
  }

  updateSettings(id: string, settings: ReplicationSettings): PeerRecord {
    const info = this.db.prepare('UPDATE site_peer SET settings = ? WHERE id = ?').run(JSON.stringify(settings), id);
    if (info.changes === 0) throw new NotFoundError(`no site with id ${id} is paired with this site`, { site: id });
    return this.peer(id) as PeerRecord;
  }

  /** Removes the pairing, its link's figures and its list of points replicated; false when there was none. */
  remove(id: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM site_link WHERE peer_id = ?').run(id);
      this.db.prepare('DELETE FROM site_replicated_point WHERE peer_id = ?').run(id);
      return this.db.prepare('DELETE FROM site_peer WHERE id = ?').run(id).changes > 0;
    })();
  }

  /** The replication link's figures for a paired peer as last recorded, or undefined. */
  linkFigures(peerId: string): LinkFigures | undefined {
    const row = this.db.prepare('SELECT * FROM site_link WHERE peer_id = ?').get(peerId) as
      | { bytes_sent: number; last_contact_at: number | null; last_error: string | null; error_code: string | null }
      | undefined;
    if (!row) return undefined;
    return { bytesSent: row.bytes_sent, lastContactAt: row.last_contact_at === null ? null : new Date(row.last_contact_at).toISOString(), lastError: row.last_error, errorCode: row.error_code };
  }

  /** Records the link's figures of a peer that is still paired (those of an unpaired one are dropped). */
  recordLinkFigures(peerId: string, f: LinkFigures): void {
    this.db
      .prepare(
        `INSERT INTO site_link (peer_id, bytes_sent, last_contact_at, last_error, error_code) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM site_peer WHERE id = ?)
         ON CONFLICT (peer_id) DO UPDATE SET bytes_sent = excluded.bytes_sent, last_contact_at = excluded.last_contact_at, last_error = excluded.last_error, error_code = excluded.error_code`,
      )
      .run(peerId, Math.round(f.bytesSent), f.lastContactAt === null ? null : Date.parse(f.lastContactAt), f.lastError, f.errorCode, peerId);
  }

  /** The VM's restore points the peer is known to hold. */
  replicatedPoints(peerId: string, vmId: string): string[] {
    return (this.db.prepare('SELECT point_id FROM site_replicated_point WHERE peer_id = ? AND vm_id = ?').all(peerId, vmId) as { point_id: string }[]).map((r) => r.point_id);
  }

  /** Records that a peer still paired holds one of the VM's points. */
  recordReplicatedPoint(peerId: string, vmId: string, pointId: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO site_replicated_point (peer_id, vm_id, point_id, recorded_at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM site_peer WHERE id = ?)')
      .run(peerId, vmId, pointId, this.clock.now(), peerId);
  }

  /** Forgets the VM's points at the peer other than `keep` (the points this site still has). */
  forgetReplicatedPoints(peerId: string, vmId: string, keep: readonly string[]): void {
    const kept = new Set(keep);
    const drop = this.db.prepare('DELETE FROM site_replicated_point WHERE peer_id = ? AND vm_id = ? AND point_id = ?');
    this.db.transaction(() => {
      for (const id of this.replicatedPoints(peerId, vmId)) if (!kept.has(id)) drop.run(peerId, vmId, id);
    })();
  }

  /** The site listener listens at `url` now. */
  recordListener(url: string): void {
    this.db.prepare('INSERT INTO site_listener (id, url, started_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, started_at = excluded.started_at').run(url, this.clock.now());
  }

  /** Where the site listener last listened, or null when it never has. */
  listenerUrl(): string | null {
    const row = this.db.prepare('SELECT url FROM site_listener WHERE id = 1').get() as { url: string } | undefined;
    return row?.url ?? null;
  }

  /** Records a new code by its derived id and key; returns when it expires (ms). */
  issueCode(codeId: string, key: Buffer, ttlMs: number): number {
    const now = this.clock.now();
    const expiresAt = now + ttlMs;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM site_pairing_code WHERE expires_at < ?').run(now - DAY_MS);
      this.db.prepare('INSERT INTO site_pairing_code (code_id, proof_key, created_at, expires_at) VALUES (?, ?, ?, ?)').run(codeId, key, now, expiresAt);
    })();
    return expiresAt;
  }

  /**
   * Consumes the code named by `codeId` for the certificate `by`: its key when it was valid, why
   * not otherwise. Atomic, so two requests with one code cannot both get its key.
   */
  takeCode(codeId: string, by: string): TakenCode {
    const take = this.db.transaction((): TakenCode => {
      const now = this.clock.now();
      const row = this.db.prepare('SELECT * FROM site_pairing_code WHERE code_id = ?').get(codeId) as CodeRow | undefined;
      if (!row) return { ok: false, reason: 'the pairing code is not one this site issued (or it was issued more than a day ago): check it, or allow pairing again for a new one' };
      if (row.used_at !== null) {
        return { ok: false, reason: `the pairing code was already used at ${new Date(row.used_at).toISOString()}; a code is good for one attempt: allow pairing again for a new one` };
      }
      this.db.prepare('UPDATE site_pairing_code SET used_at = ?, used_by = ? WHERE code_id = ?').run(now, by, codeId);
      if (row.expires_at <= now) {
        return { ok: false, reason: `the pairing code expired at ${new Date(row.expires_at).toISOString()} (codes are valid for 15 minutes): allow pairing again for a new one` };
      }
      return { ok: true, key: row.proof_key };
    });
    return take();
  }
}

export function alreadyPaired(existing: PeerRecord, p: Pick<NewPeer, 'name' | 'url' | 'thumbprint'>): LifelineError {
  const what = existing.thumbprint === p.thumbprint ? 'its certificate' : existing.url === p.url ? 'its address' : 'its name';
  return new LifelineError(
    'site-paired',
    `this site is already paired with ${existing.name} (${existing.url}), which has the same ${what.replace('its ', '')}: unpair it first`,
    { site: existing.id },
  );
}

function toPeer(r: PeerRow): PeerRecord {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    thumbprint: r.thumbprint,
    role: r.role,
    pairedAt: new Date(r.paired_at).toISOString(),
    settings: JSON.parse(r.settings) as ReplicationSettings,
    unpairedByPeerAt: r.unpaired_by_peer_at === null ? null : new Date(r.unpaired_by_peer_at).toISOString(),
  };
}
