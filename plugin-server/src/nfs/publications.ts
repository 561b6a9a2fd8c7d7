/**
 * Published restore points: which points the NFS export serves, under which folder names, and
 * the files each folder holds besides the point's disks. The state lives in `<dataDir>/nfs/`
 * (written whole to a temporary file and renamed, so a crash leaves the old state or the new one),
 * beside each publication's own directory with its disks' overlays and the files clients created;
 * a restart finds the same publications with the same overlays and the same file handles.
 * Nothing here writes to the repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LifelineError } from '../errors/index.js';
import { openPointDisk } from '../export/index.js';
import type { Repository } from '../store/index.js';
import { ChunkCache, PublishedDisk, type ChunkCacheOptions } from './published-disk.js';

export interface PublishedFile {
  readonly name: string;
  readonly fileNo: number;
}

/**
 * Who a publication is for: a user who published the point through the API ('user'), or an
 * instant revert or instant recovery ('instant'), which records it and unpublishes it when done.
 * Publications saved before owners were recorded count as the user's: never dropped unasked.
 */
export type PublicationOwner = 'user' | 'instant';

export interface Publication {
  /** 32 hex digits, random: part of every file handle of the publication. */
  readonly id: string;
  /** Small number unique among this server's publications, part of file ids. */
  readonly seq: number;
  readonly pointId: string;
  /** The folder's name in the export. */
  readonly folder: string;
  readonly vmName: string;
  readonly createdAt: string;
  /** Absent in publications saved before owners were recorded: 'user'. */
  readonly owner?: PublicationOwner;
  readonly disks: ReadonlyArray<{ readonly disk: number; readonly capacity: number }>;
  /** Files clients created in the folder (lock files, swap files, a descriptor they rewrote). */
  files: PublishedFile[];
  nextFileNo: number;
}

interface StateFile {
  readonly format: 'lifeline-nfs/1';
  readonly nextSeq: number;
  readonly publications: Publication[];
}

export interface PublicationsOptions {
  readonly dataDir: string;
  readonly repository: Repository;
  readonly cache?: ChunkCacheOptions;
  /**
   * Marks a point as being read for as long as it is published, so that retention and garbage
   * collection leave its chunks alone; returns the release.
   */
  readonly hold?: (pointId: string) => () => void;
}

/** The first file number of files clients create; those below are the point's own. */
export const FIRST_CREATED_FILE = 1_000_000;

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A folder name from a VM name and point id, safe in any file system and in a datastore path. */
export function folderName(vmName: string, pointId: string): string {
  const vm = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60) || 'vm';
  return `${vm}-${pointId}`.slice(0, 100);
}

export class Publications {
  private readonly disks = new Map<string, Promise<PublishedDisk>>();
  private readonly holds = new Map<string, () => void>();
  private state: StateFile;
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: PublicationsOptions,
    readonly dir: string,
    state: StateFile,
    readonly cache: ChunkCache,
    /** The key file handles are authenticated with; kept so handles outlive a restart. */
    readonly handleKey: Buffer,
  ) {
    this.state = state;
    for (const p of state.publications) this.hold(p.pointId);
  }

  static async open(opts: PublicationsOptions): Promise<Publications> {
    const dir = join(opts.dataDir, 'nfs');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, 'handle.key');
    let key: Buffer;
    try {
      key = await readFile(keyPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await writeFile(keyPath, randomBytes(32), { mode: 0o600, flag: 'wx' });
      key = await readFile(keyPath);
    }
    if (key.length !== 32) throw new LifelineError('config-invalid', `${keyPath} is not a 32-byte NFS handle key; remove it to make a new one (clients must then mount again)`);
    let state: StateFile = { format: 'lifeline-nfs/1', nextSeq: 1, publications: [] };
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as StateFile;
      if (parsed.format !== 'lifeline-nfs/1' || !Array.isArray(parsed.publications)) throw new Error('unknown format');
      state = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new LifelineError('config-invalid', `the NFS publication state ${join(dir, 'state.json')} cannot be read: ${(err as Error).message}`);
      }
    }
    return new Publications(opts, dir, state, new ChunkCache(opts.cache ?? { chunks: 32, readAhead: 6 }), key);
  }

  list(): readonly Publication[] {
    return this.state.publications;
  }

  byId(id: string): Publication | undefined {
    return this.state.publications.find((p) => p.id === id);
  }

  byFolder(folder: string): Publication | undefined {
    return this.state.publications.find((p) => p.folder === folder);
  }

  /** Publishes a committed restore point; its folder is `folder` or `<vm>-<point id>`. */
  async publish(pointId: string, folder?: string, owner: PublicationOwner = 'user'): Promise<Publication> {
    const signal = new AbortController().signal;
    const { manifest } = await this.opts.repository.authenticPoint(pointId, signal);
    const name = folder ?? folderName(manifest.vm.name, pointId);
    if (!FOLDER.test(name)) throw new LifelineError('validation', `"${name}" is not a folder name: letters, digits, dot, dash and underscore, 1-100 characters, starting with a letter or digit`);
    const id = randomBytes(16).toString('hex');
    await mkdir(join(this.dir, `pub-${id}`, 'files'), { recursive: true, mode: 0o700 });
    const made: { pub?: Publication } = {};
    try {
      // Checked against the state as it is when this change's turn comes, not when it was asked.
      await this.change((current) => {
        if (current.publications.some((p) => p.pointId === pointId)) throw new LifelineError('publication-exists', `restore point ${pointId} is published already`, { pointId });
        if (current.publications.some((p) => p.folder === name)) throw new LifelineError('publication-exists', `a publication named ${name} exists already`, { folder: name });
        const pub: Publication = {
          id,
          seq: current.nextSeq,
          pointId,
          folder: name,
          vmName: manifest.vm.name,
          createdAt: new Date().toISOString(),
          owner,
          disks: manifest.disks.map((d) => ({ disk: d.disk, capacity: d.capacity })),
          files: [],
          nextFileNo: FIRST_CREATED_FILE,
        };
        made.pub = pub;
        return { ...current, nextSeq: current.nextSeq + 1, publications: [...current.publications, pub] };
      });
    } catch (err) {
      await rm(join(this.dir, `pub-${id}`), { recursive: true, force: true });
      throw err;
    }
    const pub = made.pub;
    if (!pub) throw new Error('the publication was saved without being made');
    this.hold(pointId);
    return pub;
  }

  /** Stops serving a publication and drops its overlays and files. */
  async unpublish(id: string): Promise<void> {
    const pub = this.byId(id);
    if (!pub) throw new LifelineError('publication-not-found', `no publication ${id}`, { id });
    await this.change((current) => {
      if (!current.publications.some((p) => p.id === id)) throw new LifelineError('publication-not-found', `no publication ${id}`, { id });
      return { ...current, publications: current.publications.filter((p) => p.id !== id) };
    });
    for (const d of pub.disks) {
      const key = `${id}/${d.disk}`;
      const open = this.disks.get(key);
      this.disks.delete(key);
      if (open) await (await open.catch(() => null))?.close();
    }
    this.cache.forget(pub.pointId);
    this.holds.get(pub.pointId)?.();
    this.holds.delete(pub.pointId);
    await rm(join(this.dir, `pub-${id}`), { recursive: true, force: true });
  }

  /** The disk of a publication with its overlay, opened on first use. */
  disk(pub: Publication, disk: number): Promise<PublishedDisk> {
    const key = `${pub.id}/${disk}`;
    let d = this.disks.get(key);
    if (!d) {
      const created = Date.parse(pub.createdAt);
      d = openPointDisk(this.opts.repository, pub.pointId, disk, new AbortController().signal).then((pd) =>
        PublishedDisk.open(pd, this.cache, join(this.dir, `pub-${pub.id}`, `disk-${disk}`), created),
      );
      d.catch(() => this.disks.delete(key));
      this.disks.set(key, d);
    }
    return d;
  }

  /** Where a created file's bytes are kept. */
  filePath(pub: Publication, fileNo: number): string {
    return join(this.dir, `pub-${pub.id}`, 'files', String(fileNo));
  }

  /** Records a change to a publication's created files. */
  async saveFiles(): Promise<void> {
    await this.change((current) => current);
  }

  async close(): Promise<void> {
    const open = [...this.disks.values()];
    this.disks.clear();
    for (const d of open) await (await d.catch(() => null))?.close();
    for (const release of this.holds.values()) release();
    this.holds.clear();
  }

  private hold(pointId: string): void {
    if (this.opts.hold && !this.holds.has(pointId)) this.holds.set(pointId, this.opts.hold(pointId));
  }

  /** Writes the state `next` makes of the current one, one change at a time. */
  private change(next: (current: StateFile) => StateFile): Promise<void> {
    const run = this.saving.then(() => this.write(next(this.state)));
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async write(next: StateFile): Promise<void> {
    const path = join(this.dir, 'state.json');
    const temp = `${path}.tmp`;
    const fh = await open(temp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(next, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
    this.state = next;
  }
}
