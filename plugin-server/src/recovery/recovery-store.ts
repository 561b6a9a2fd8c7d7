/**
 * Where recovery keeps what must outlive a request, a job and a crash: each VM's temporary revert
 * (the disks set aside, the restored ones, the state of the operation under way) and each
 * clone-and-attach attachment. Tables `recovery_revert` and `recovery_attachment` in the server's
 * state database (schema component "recovery").
 *
 * Why the server's state database and not the repository's catalog: this state describes objects
 * in this server's vCenters (disk files, devices of VMs), not repository content, and it is read
 * together with the jobs that change it. The jobs live in the same SQLite file, so a job's row and
 * the revert it works on are written by one connection with FULL synchronous commits: after a
 * crash, the interrupted job's clean-up always finds the intent recorded before the vSphere step
 * it was taking. The repository may be shared by several Lifeline servers and is copied as a
 * whole; set-aside disks of one vCenter do not belong in it. Restore points are only ever read.
 *
 * Every record is written before the vSphere step it announces (intent first), and each step is
 * one that can be recognised afterwards by looking at the VM (which file a disk slot holds), so a
 * clean-up can tell whether the step happened.
 */
import { LifelineError } from '../errors/index.js';
import { migrateComponent, type Database, type Migration } from '../jobs/index.js';
import { vmKey, type Clock, type VmRef } from '../domain/index.js';

export interface DatacenterRef {
  /** e.g. 'datacenter-2'. */
  moref: string;
  /** The inventory path, for datastore file URLs. */
  path: string;
}

/** One disk of a revert: the slot it occupies, the file set aside and the file restored into it. */
export interface RevertDisk {
  /** The disk's number in the restore point (its device key when it was backed up). */
  pointDisk: number;
  label: string;
  controllerKey: number;
  unitNumber: number;
  diskMode: string | null;
  /** The VM's disk before the revert ("[ds] vm/vm.vmdk"): detached and kept while temporary. */
  originalFile: string;
  originalCapacity: number;
  /** The restored disk, in a `lifeline-restore-<job>` folder. */
  restoredFile: string;
  restoredCapacity: number;
}

/**
 * - restoring: the restored disks are being uploaded; the VM is untouched (perhaps powered off).
 * - swapping: disks are being swapped; each slot holds either its original or its restored file.
 * - reverted: the VM runs on the restored disks; the originals are set aside (temporary revert).
 * - cancelling: the originals are being put back.
 * - committing: the set-aside originals are being deleted (make permanent).
 */
export type RevertState = 'restoring' | 'swapping' | 'reverted' | 'cancelling' | 'committing';

export interface RevertRecord {
  vm: VmRef;
  pointId: string;
  /** The job working on it now, or the one that last did. */
  jobId: string;
  state: RevertState;
  datacenter: DatacenterRef;
  /** The `lifeline-restore-<job>` folders holding the restored disks, one per datastore. */
  folders: string[];
  /** Whether the operation under way found the VM powered on (and powers it on again). */
  wasPoweredOn: boolean;
  disks: RevertDisk[];
  createdAt: string;
  updatedAt: string;
  /** When the VM first ran on the restored disks. */
  revertedAt: string | null;
}

export interface AttachedDisk {
  pointDisk: number;
  label: string;
  /** The clone's descriptor in the attachment's folder. */
  file: string;
  capacity: number;
  controllerKey: number | null;
  unitNumber: number | null;
  /** The device key on the VM once attached. */
  deviceKey: number | null;
}

/**
 * - uploading: clones are being written to the folder; nothing is attached yet.
 * - attaching: clones are being added to the VM, one reconfigure each.
 * - attached: all clones are attached.
 * - detaching: clones are being removed from the VM, then the folder deleted.
 */
export type AttachmentState = 'uploading' | 'attaching' | 'attached' | 'detaching';

export interface AttachmentRecord {
  id: string;
  vm: VmRef;
  pointId: string;
  jobId: string;
  state: AttachmentState;
  datacenter: DatacenterRef;
  /** "[ds] lifeline-attach-<id>": the clones' folder, deleted on detach. */
  folder: string;
  disks: AttachedDisk[];
  createdAt: string;
  updatedAt: string;
}

export interface RecoveryStore {
  getRevert(vm: VmRef): RevertRecord | undefined;
  listReverts(): RevertRecord[];
  /** Inserts or replaces the VM's revert; stamps updatedAt. */
  putRevert(rec: RevertRecord): RevertRecord;
  deleteRevert(vm: VmRef): void;
  getAttachment(id: string): AttachmentRecord | undefined;
  listAttachments(vm?: VmRef): AttachmentRecord[];
  putAttachment(rec: AttachmentRecord): AttachmentRecord;
  deleteAttachment(id: string): void;
  /** vmKey() of every VM with a revert on record: its scheduled backups are held. */
  heldVms(): Set<string>;
  now(): string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE recovery_revert (
          vcenter_guid TEXT NOT NULL,
          moref TEXT NOT NULL,
          point_id TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('restoring', 'swapping', 'reverted', 'cancelling', 'committing')),
          doc TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (vcenter_guid, moref)
        ) STRICT;
        CREATE TABLE recovery_attachment (
          id TEXT PRIMARY KEY,
          vcenter_guid TEXT NOT NULL,
          moref TEXT NOT NULL,
          point_id TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('uploading', 'attaching', 'attached', 'detaching')),
          doc TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX recovery_attachment_by_vm ON recovery_attachment (vcenter_guid, moref);
      `);
    },
  },
];

function parse<T>(doc: string, what: string): T {
  try {
    return JSON.parse(doc) as T;
  } catch {
    throw new LifelineError('recovery-state-invalid', `the recovery state of ${what} in the state database does not parse`);
  }
}

export class SqliteRecoveryStore implements RecoveryStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    migrateComponent(db, 'recovery', MIGRATIONS);
  }

  now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  getRevert(vm: VmRef): RevertRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM recovery_revert WHERE vcenter_guid = ? AND moref = ?').get(vm.vcenterGuid, vm.moref) as { doc: string } | undefined;
    return row ? parse<RevertRecord>(row.doc, vmKey(vm)) : undefined;
  }

  listReverts(): RevertRecord[] {
    const rows = this.db.prepare('SELECT doc, vcenter_guid, moref FROM recovery_revert ORDER BY vcenter_guid, moref').all() as Array<{ doc: string; vcenter_guid: string; moref: string }>;
    return rows.map((r) => parse<RevertRecord>(r.doc, `${r.vcenter_guid}:${r.moref}`));
  }

  putRevert(rec: RevertRecord): RevertRecord {
    const now = this.clock.now();
    const out = { ...rec, updatedAt: new Date(now).toISOString() };
    this.db
      .prepare(
        `INSERT INTO recovery_revert (vcenter_guid, moref, point_id, state, doc, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (vcenter_guid, moref) DO UPDATE SET point_id = excluded.point_id, state = excluded.state, doc = excluded.doc, updated_at = excluded.updated_at`,
      )
      .run(rec.vm.vcenterGuid, rec.vm.moref, rec.pointId, rec.state, JSON.stringify(out), now);
    return out;
  }

  deleteRevert(vm: VmRef): void {
    this.db.prepare('DELETE FROM recovery_revert WHERE vcenter_guid = ? AND moref = ?').run(vm.vcenterGuid, vm.moref);
  }

  getAttachment(id: string): AttachmentRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM recovery_attachment WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? parse<AttachmentRecord>(row.doc, `attachment ${id}`) : undefined;
  }

  listAttachments(vm?: VmRef): AttachmentRecord[] {
    const rows = (
      vm
        ? this.db.prepare('SELECT id, doc FROM recovery_attachment WHERE vcenter_guid = ? AND moref = ? ORDER BY created_at, id').all(vm.vcenterGuid, vm.moref)
        : this.db.prepare('SELECT id, doc FROM recovery_attachment ORDER BY created_at, id').all()
    ) as Array<{ id: string; doc: string }>;
    return rows.map((r) => parse<AttachmentRecord>(r.doc, `attachment ${r.id}`));
  }

  putAttachment(rec: AttachmentRecord): AttachmentRecord {
    const now = this.clock.now();
    const out = { ...rec, updatedAt: new Date(now).toISOString() };
    this.db
      .prepare(
        `INSERT INTO recovery_attachment (id, vcenter_guid, moref, point_id, state, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, doc = excluded.doc, updated_at = excluded.updated_at`,
      )
      .run(rec.id, rec.vm.vcenterGuid, rec.vm.moref, rec.pointId, rec.state, JSON.stringify(out), Date.parse(rec.createdAt), now);
    return out;
  }

  deleteAttachment(id: string): void {
    this.db.prepare('DELETE FROM recovery_attachment WHERE id = ?').run(id);
  }

  heldVms(): Set<string> {
    const rows = this.db.prepare('SELECT vcenter_guid, moref FROM recovery_revert').all() as Array<{ vcenter_guid: string; moref: string }>;
    return new Set(rows.map((r) => `${r.vcenter_guid}:${r.moref}`));
  }
}
