/**
 * The instant new instances and instant attachments in progress, one record each, kept in
 * `<dataDir>/instant/runs.json` (written whole to a temporary file, then renamed, so a crash leaves
 * the old or the new state). Each step of one is recorded before it is taken, so that a restart of
 * Lifeline finds what runs from which publication and a clean-up knows what to remove.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** 'new-instance': a new VM runs from the point; 'attach': the point's disks are attached to a VM. */
export type InstantRunKind = 'new-instance' | 'attach';
export type InstantRunState = 'starting' | 'running' | 'migrating' | 'discarding';

export interface InstantRunDisk {
  readonly pointDisk: number;
  readonly capacity: number;
  /** The published disk on Lifeline's NFS datastore, "[lifeline-<name>] <folder>/disk<n>.vmdk"; null before the datastore is known. */
  readonly publishedFile: string | null;
  readonly controllerKey: number | null;
  readonly unitNumber: number | null;
  /** The device once attached. */
  readonly deviceKey: number | null;
}

export interface InstantRunRecord {
  readonly id: string;
  readonly kind: InstantRunKind;
  readonly vcenterGuid: string;
  /** The new VM (once created) or the VM the disks are attached to. */
  readonly vm: string | null;
  readonly vmName: string;
  readonly pointId: string;
  readonly publicationId: string;
  /** Moref of Lifeline's NFS datastore, once mounted. */
  readonly nfsDatastore: string | null;
  /** Moref of the VM's datacenter, for file operations. */
  readonly datacenter: string;
  /** A new instance's own folder "[datastore] <name>" (its configuration files), once made; null for an attachment. */
  readonly folder: string | null;
  readonly state: InstantRunState;
  readonly disks: readonly InstantRunDisk[];
  /** Where migrate-to-production moves the disks, while it does. */
  readonly targetDatastore: string | null;
  /** vCenter's relocation task of a migration, once vCenter started it (absent in records written before it was kept). */
  readonly relocationTask?: string | null;
  /** The job that last worked on it. */
  readonly jobId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface StateFile {
  readonly format: 'lifeline-instant-runs/1';
  readonly runs: InstantRunRecord[];
}

export class InstantRunStore {
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private runs: InstantRunRecord[],
    private readonly now: () => Date,
  ) {}

  static async open(dataDir: string, now: () => Date = () => new Date()): Promise<InstantRunStore> {
    const dir = join(dataDir, 'instant');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'runs.json');
    let runs: InstantRunRecord[] = [];
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as StateFile;
      if (parsed.format !== 'lifeline-instant-runs/1' || !Array.isArray(parsed.runs)) throw new Error(`${file}: not a Lifeline instant-recovery state file`);
      runs = parsed.runs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new InstantRunStore(file, runs, now);
  }

  get(id: string): InstantRunRecord | undefined {
    return this.runs.find((r) => r.id === id);
  }

  list(): readonly InstantRunRecord[] {
    return this.runs;
  }

  /** Saves the record (its updatedAt set now); resolves once it is on disk. */
  async put(rec: Omit<InstantRunRecord, 'updatedAt'> & { updatedAt?: string }): Promise<InstantRunRecord> {
    const saved: InstantRunRecord = { ...rec, updatedAt: this.now().toISOString() };
    await this.save((runs) => [...runs.filter((r) => r.id !== saved.id), saved]);
    return saved;
  }

  async delete(id: string): Promise<void> {
    await this.save((runs) => runs.filter((r) => r.id !== id));
  }

  /** One write at a time, each from the state the previous one left. */
  private save(change: (runs: InstantRunRecord[]) => InstantRunRecord[]): Promise<void> {
    const next = this.saving.then(async () => {
      const runs = change(this.runs);
      const tmp = `${this.file}.tmp`;
      const state: StateFile = { format: 'lifeline-instant-runs/1', runs };
      await writeFile(tmp, JSON.stringify(state, null, 1), { mode: 0o600 });
      await rename(tmp, this.file);
      this.runs = runs;
    });
    this.saving = next.catch(() => undefined);
    return next;
  }
}
