/**
 * The SQLite PolicyStore: tables `protection_policy` and `protection_vm` in the shared catalog
 * database (schema component "protection"). Satisfies the contract in policy-store-type.ts.
 */
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { LifelineError, NotFoundError, ValidationError } from '../errors/index.js';
import { migrateComponent, type Database, type Migration } from '../jobs/index.js';
import { validateVmRef, vmKey, type Clock, type VmRef } from '../domain/index.js';
import { parsePolicy, type PolicySpec, type ProtectionPolicy } from './policy.js';
import type { PolicyStore, VmProtection } from './policy-store-type.js';
import type { RpoStatus } from './rpo-compliance.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE protection_policy (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          name_key TEXT NOT NULL UNIQUE,
          spec TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE protection_vm (
          vcenter_guid TEXT NOT NULL,
          moref TEXT NOT NULL,
          policy_id TEXT NOT NULL REFERENCES protection_policy (id),
          assigned_at INTEGER NOT NULL,
          paused INTEGER NOT NULL DEFAULT 0,
          pause_reason TEXT,
          paused_at INTEGER,
          rpo_status TEXT CHECK (rpo_status IN ('compliant', 'at-risk', 'violated')),
          rpo_status_at INTEGER,
          PRIMARY KEY (vcenter_guid, moref)
        ) STRICT;
        CREATE INDEX protection_vm_by_policy ON protection_vm (policy_id);
      `);
    },
  },
];

interface PolicyRow {
  id: string;
  name: string;
  spec: string;
  created_at: number;
  updated_at: number;
}

interface VmRow {
  vcenter_guid: string;
  moref: string;
  policy_id: string;
  assigned_at: number;
  paused: number;
  pause_reason: string | null;
  paused_at: number | null;
  rpo_status: RpoStatus | null;
  rpo_status_at: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Fields added to the spec after policies were first saved, with the value older rows mean. */
const LATER_FIELDS: Pick<PolicySpec, 'hookSet'> = { hookSet: null };

function toPolicy(r: PolicyRow): ProtectionPolicy {
  const spec = JSON.parse(r.spec) as Omit<PolicySpec, 'name'>;
  return { id: r.id, name: r.name, ...LATER_FIELDS, ...spec, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) };
}

function toProtection(r: VmRow): VmProtection {
  return {
    vm: { vcenterGuid: r.vcenter_guid, moref: r.moref },
    policyId: r.policy_id,
    assignedAt: iso(r.assigned_at),
    paused: r.paused === 1,
    pauseReason: r.pause_reason,
    pausedAt: r.paused_at === null ? null : iso(r.paused_at),
    rpoStatus: r.rpo_status,
    rpoStatusAt: r.rpo_status_at === null ? null : iso(r.rpo_status_at),
  };
}

export interface SqlitePolicyStoreOptions {
  clock: Clock;
  newId?: () => string;
}

export class SqlitePolicyStore implements PolicyStore {
  private readonly clock: Clock;
  private readonly newId: () => string;

  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: Database, opts: SqlitePolicyStoreOptions) {
    this.clock = opts.clock;
    this.newId = opts.newId ?? randomUUID;
    migrateComponent(db, 'protection', MIGRATIONS);
  }

  createPolicy(spec: PolicySpec): ProtectionPolicy {
    const p = parsePolicy(spec);
    const id = this.newId();
    const now = this.clock.now();
    this.write(p, id, () => {
      this.sql('INSERT INTO protection_policy (id, name, name_key, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, p.name, nameKey(p.name), specJson(p), now, now);
    });
    return this.getPolicy(id);
  }

  updatePolicy(id: string, spec: PolicySpec): ProtectionPolicy {
    const p = parsePolicy(spec);
    this.getPolicy(id);
    this.write(p, id, () => {
      this.sql('UPDATE protection_policy SET name = ?, name_key = ?, spec = ?, updated_at = ? WHERE id = ?')
        .run(p.name, nameKey(p.name), specJson(p), this.clock.now(), id);
    });
    return this.getPolicy(id);
  }

  deletePolicy(id: string): void {
    const run = this.db.transaction(() => {
      this.getPolicy(id);
      const { n } = this.sql('SELECT count(*) AS n FROM protection_vm WHERE policy_id = ?').get(id) as { n: number };
      if (n > 0) throw new LifelineError('policy-in-use', `the policy protects ${n} VM(s); assign them another policy first`, { policyId: id, vms: n });
      this.sql('DELETE FROM protection_policy WHERE id = ?').run(id);
    });
    run.immediate();
  }

  getPolicy(id: string): ProtectionPolicy {
    const row = this.sql('SELECT * FROM protection_policy WHERE id = ?').get(id) as PolicyRow | undefined;
    if (!row) throw new NotFoundError(`protection policy ${id} not found`, { policyId: id });
    return toPolicy(row);
  }

  listPolicies(): ProtectionPolicy[] {
    return (this.sql('SELECT * FROM protection_policy ORDER BY name_key').all() as PolicyRow[]).map(toPolicy);
  }

  assign(vm: VmRef, policyId: string): VmProtection {
    const v = validateVmRef(vm);
    const run = this.db.transaction(() => {
      this.getPolicy(policyId);
      this.sql(
          `INSERT INTO protection_vm (vcenter_guid, moref, policy_id, assigned_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (vcenter_guid, moref) DO UPDATE SET policy_id = excluded.policy_id`,
        )
        .run(v.vcenterGuid, v.moref, policyId, this.clock.now());
    });
    run.immediate();
    return this.mustGetProtection(v);
  }

  unassign(vm: VmRef): boolean {
    const v = validateVmRef(vm);
    return this.sql('DELETE FROM protection_vm WHERE vcenter_guid = ? AND moref = ?').run(v.vcenterGuid, v.moref).changes > 0;
  }

  getProtection(vm: VmRef): VmProtection | undefined {
    const row = this.sql('SELECT * FROM protection_vm WHERE vcenter_guid = ? AND moref = ?').get(vm.vcenterGuid, vm.moref) as VmRow | undefined;
    return row && toProtection(row);
  }

  listProtections(filter: { policyId?: string } = {}): VmProtection[] {
    const rows = (filter.policyId === undefined
      ? this.sql('SELECT * FROM protection_vm ORDER BY vcenter_guid, moref').all()
      : this.sql('SELECT * FROM protection_vm WHERE policy_id = ? ORDER BY vcenter_guid, moref').all(filter.policyId)) as VmRow[];
    return rows.map(toProtection);
  }

  pause(vm: VmRef, reason: string): VmProtection {
    const v = validateVmRef(vm);
    if (typeof reason !== 'string' || reason.length < 1 || reason.length > 200) {
      throw new ValidationError('a pause needs a reason of 1 to 200 characters, e.g. temporary-revert', { field: 'reason' });
    }
    this.mustGetProtection(v);
    this.sql('UPDATE protection_vm SET paused = 1, pause_reason = ?, paused_at = ? WHERE vcenter_guid = ? AND moref = ?')
      .run(reason, this.clock.now(), v.vcenterGuid, v.moref);
    return this.mustGetProtection(v);
  }

  resume(vm: VmRef): VmProtection {
    const v = validateVmRef(vm);
    this.mustGetProtection(v);
    this.sql('UPDATE protection_vm SET paused = 0, pause_reason = NULL, paused_at = NULL WHERE vcenter_guid = ? AND moref = ?').run(v.vcenterGuid, v.moref);
    return this.mustGetProtection(v);
  }

  setRpoStatus(vm: VmRef, status: RpoStatus, atMs: number): void {
    this.sql('UPDATE protection_vm SET rpo_status = ?, rpo_status_at = ? WHERE vcenter_guid = ? AND moref = ?').run(status, atMs, vm.vcenterGuid, vm.moref);
  }

  private mustGetProtection(vm: VmRef): VmProtection {
    const p = this.getProtection(vm);
    if (!p) throw new NotFoundError(`VM ${vmKey(vm)} is not protected`, { vm });
    return p;
  }

  /**
   * Runs a write of policy `id` in one transaction that first checks no other policy has its
   * name (the unique index on name_key stays as the last guard).
   */
  private write(p: PolicySpec, id: string, fn: () => void): void {
    this.db
      .transaction(() => {
        const other = this.sql('SELECT id FROM protection_policy WHERE name_key = ? AND id <> ?').get(nameKey(p.name), id);
        if (other !== undefined) {
          throw new LifelineError('policy-name-taken', `name: another policy is already called "${p.name}"`, { field: 'name', errors: [{ field: 'name', message: `name "${p.name}" is already used by another policy` }] });
        }
        fn();
      })
      .immediate();
  }

  /** Prepared statements are compiled once per SQL text; the scheduler asks the same questions every few seconds. */
  private sql(text: string): BetterSqlite3.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }
}

function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function specJson(p: PolicySpec): string {
  const { name: _name, ...rest } = p;
  return JSON.stringify(rest);
}
