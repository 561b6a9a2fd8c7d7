/**
 * What the repository keeps in its catalog, and the operations on it. The catalog is an index
 * over the repository's objects (every restore point is also described by its sealed manifest in
 * the backend), plus the state that exists only while Lifeline runs: writers in flight,
 * maintenance locks, GC and verify runs, damage found.
 */
export type PointState = 'pending' | 'committed' | 'deleting';
export type Consistency = 'application' | 'crash';

export interface PointRow {
  id: string;
  vmId: string;
  vmName: string;
  state: PointState;
  consistency: Consistency;
  /** ms since the epoch. */
  createdAt: number;
  retainUntil: number;
  parentId: string | null;
  damaged: boolean;
  /** Sum of the disks' capacities. */
  logicalBytes: number;
  /** Bytes in slots that are not all zero. */
  dataBytes: number;
  /** Bytes read from the source by the ingest. */
  readBytes: number;
  /** Chunks this point added to the repository, and their stored size. */
  newChunks: number;
  newStoredBytes: number;
}

export interface DiskRow {
  pointId: string;
  disk: number;
  label: string;
  capacity: number;
  chunkSize: number;
  indexKey: string;
  indexSha256: string;
  changeId: string | null;
}

export interface WriterRow {
  id: string;
  /** Process identity of the writer (pid and start time). */
  owner: string;
  pointId: string;
  vmId: string;
  baseId: string | null;
  startedAt: number;
}

export type RunKind = 'gc' | 'verify' | 'prune';

export interface RunRow {
  id: number;
  kind: RunKind;
  startedAt: number;
  finishedAt: number | null;
  outcome: string | null;
  summary: Record<string, unknown> | null;
}

export interface DamageRow {
  digest: string;
  problem: 'corrupt' | 'missing';
  detail: string;
  foundAt: number;
}

export interface PointQuery {
  vmId?: string;
  /** Default: committed only. */
  states?: readonly PointState[];
  /** Newest first, at most this many. */
  limit?: number;
  /** Only points created strictly before this time (paging). */
  before?: number;
}

/** Totals over the committed points, from the stats each point recorded when it committed. */
export interface PointTotals {
  points: number;
  /** Distinct VMs with at least one committed point. */
  vms: number;
  logicalBytes: number;
  dataBytes: number;
  newChunks: number;
  newStoredBytes: number;
}

/** The committed points created in one UTC day, and the stored bytes of the chunks they added. */
export interface DayTotals {
  /** ms since the epoch of the day's 00:00 UTC. */
  dayStart: number;
  points: number;
  newChunks: number;
  newStoredBytes: number;
}

export interface Catalog {
  readonly path: string;

  /** Runs `fn` in one immediate transaction. */
  transaction<T>(fn: () => T): T;

  insertPoint(point: PointRow): void;
  setPointState(id: string, state: PointState): void;
  updatePointStats(id: string, stats: Pick<PointRow, 'logicalBytes' | 'dataBytes' | 'readBytes' | 'newChunks' | 'newStoredBytes'>): void;
  replaceDisks(pointId: string, disks: readonly DiskRow[]): void;
  getPoint(id: string): PointRow | undefined;
  listPoints(query?: PointQuery): PointRow[];
  /**
   * One page of a VM's committed points, newest first (ties by id, newest first), and how many
   * it has in all: two range scans of the by-VM index, however many points the catalog holds.
   */
  listVmPoints(vmId: string, page: { offset: number; limit: number }): { items: PointRow[]; total: number };
  latestPoint(vmId: string): PointRow | undefined;
  pointDisks(pointId: string): DiskRow[];
  countPoints(states?: readonly PointState[]): number;
  /** Totals over the committed points: kept up to date by the catalog itself, read in constant time. */
  pointTotals(): PointTotals;
  /**
   * The committed points per UTC day created at or after `since` (ms), days without points left
   * out, oldest first: a range scan of the by-state index.
   */
  pointTotalsByDay(since: number): DayTotals[];
  /** Removes the point with its disks and retention history. */
  deletePoint(id: string): void;
  /** Records a retention and raises the point's retain-until; never lowers it. */
  recordRetention(pointId: string, retainUntil: number, at: number, reason: string): void;
  setDamaged(pointIds: readonly string[], damaged: boolean): void;

  registerWriter(writer: WriterRow): void;
  removeWriter(id: string): void;
  listWriters(): WriterRow[];

  /** Takes a named maintenance lock unless another owner judged alive holds it. */
  tryTakeMaintenance(name: string, owner: string, at: number, isAlive: (owner: string) => boolean): { taken: true } | { taken: false; holder: string; since: number };
  releaseMaintenance(name: string, owner: string): void;

  startRun(kind: RunKind, at: number): number;
  finishRun(id: number, at: number, outcome: string, summary: Record<string, unknown>): void;
  lastRun(kind: RunKind): RunRow | undefined;

  /** Records damaged chunks and marks the points that reference them; `runId` null when no verify run found it. */
  recordDamage(rows: readonly DamageRow[], runId: number | null, pointsByDigest: ReadonlyMap<string, readonly string[]>): void;
  clearDamage(digests: readonly string[]): void;
  /**
   * Clears the damaged flag of those of `pointIds` that no damaged chunk affects any more (no
   * point-damage row left) and returns them. The caller vouches that it checked the points'
   * manifests and indexes.
   */
  clearHealedPoints(pointIds: readonly string[]): string[];
  listDamage(): DamageRow[];

  /** The latest time any operation recorded; guards destructive work against a clock set back. */
  highWater(): number;
  recordTime(at: number): void;

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;

  close(): void;
}
