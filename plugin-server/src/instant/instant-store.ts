/**
 * The instant reverts in progress, one record per VM, kept in `<dataDir>/instant/reverts.json`
 * (written whole to a temporary file, then renamed, so a crash leaves the old or the new state).
 * Each step of an instant revert is recorded before it is taken.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { vmKey, type VmRef } from '../domain/index.js';

export type InstantState = 'starting' | 'running' | 'migrating' | 'cancelling';

export interface InstantDisk {
  readonly pointDisk: number;
  readonly controllerKey: number;
  readonly unitNumber: number;
  readonly diskMode: string | null;
  /** The VM's own disk, set aside while it runs from the published one. */
  readonly originalFile: string;
  readonly originalCapacity: number;
  /** Moref of the original's datastore: where make-permanent moves the disk. */
  readonly originalDatastore: string;
  /** The published disk on Lifeline's NFS datastore. */
  readonly publishedFile: string;
  readonly capacity: number;
}

export interface InstantRevertRecord {
  readonly vm: VmRef;
  readonly pointId: string;
  readonly publicationId: string;
  readonly datastore: string;
  /** Moref of the VM's datacenter, for deleting files. */
  readonly datacenter: string;
  readonly wasPoweredOn: boolean;
  readonly state: InstantState;
  readonly disks: readonly InstantDisk[];
  /** vCenter's relocation task of a make permanent, once vCenter started it (absent in records written before it was kept). */
  readonly relocationTask?: string | null;
  readonly createdAt: string;
}

interface StateFile {
  readonly format: 'lifeline-instant/1';
  readonly reverts: InstantRevertRecord[];
}

export class InstantStore {
  private constructor(
    private readonly file: string,
    private reverts: InstantRevertRecord[],
  ) {}

  static async open(dataDir: string): Promise<InstantStore> {
    const dir = join(dataDir, 'instant');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'reverts.json');
    let reverts: InstantRevertRecord[] = [];
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as StateFile;
      if (parsed.format !== 'lifeline-instant/1' || !Array.isArray(parsed.reverts)) throw new Error(`${file}: not a Lifeline instant-recovery state file`);
      reverts = parsed.reverts;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new InstantStore(file, reverts);
  }

  get(vm: VmRef): InstantRevertRecord | undefined {
    return this.reverts.find((r) => vmKey(r.vm) === vmKey(vm));
  }

  list(): readonly InstantRevertRecord[] {
    return this.reverts;
  }

  async put(rec: InstantRevertRecord): Promise<InstantRevertRecord> {
    await this.save([...this.reverts.filter((r) => vmKey(r.vm) !== vmKey(rec.vm)), rec]);
    return rec;
  }

  async delete(vm: VmRef): Promise<void> {
    await this.save(this.reverts.filter((r) => vmKey(r.vm) !== vmKey(vm)));
  }

  private async save(reverts: InstantRevertRecord[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const state: StateFile = { format: 'lifeline-instant/1', reverts };
    await writeFile(tmp, JSON.stringify(state, null, 1), { mode: 0o600 });
    await rename(tmp, this.file);
    this.reverts = reverts;
  }
}
