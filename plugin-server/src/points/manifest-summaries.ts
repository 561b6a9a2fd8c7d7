/**
 * What the API shows of a restore point's sealed manifest (the VM it is of, its disks' datastore
 * paths, the stored VM configuration), kept in a bounded cache: a manifest never changes once its
 * point exists, and reading one means reading and decrypting it from the store.
 */
import { describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { Repository } from '../store/index.js';

/** Summaries of manifests kept in memory. */
const MANIFEST_CACHE = 2000;

export interface ConfigurationView {
  readonly cpus: number | null;
  readonly memoryBytes: number | null;
  readonly guestOs: string | null;
  readonly guestId: string | null;
  readonly networks: ReadonlyArray<{ label: string | null; network: string | null; adapterType: string | null; macAddress: string | null }>;
}

export interface ManifestSummary {
  /** The VM the sealed manifest says the point is of (the catalog's key). */
  readonly vmId: string;
  /** Datastore path of each disk's backing file, by disk number. */
  readonly datastorePaths: ReadonlyMap<number, string>;
  readonly configuration: ConfigurationView;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const records = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** What the API shows of a stored VM configuration (see the backup pipeline's vmConfig). */
export function summarize(vmId: string, config: Record<string, unknown>): ManifestSummary {
  const datastorePaths = new Map<number, string>();
  for (const d of records(config['disks'])) {
    const key = num(d['key']);
    const file = str(d['fileName']);
    if (key !== null && file !== null) datastorePaths.set(key, file);
  }
  const memoryMiB = num(config['memoryMiB']);
  return {
    vmId,
    datastorePaths,
    configuration: {
      cpus: num(config['cpus']),
      memoryBytes: memoryMiB === null ? null : memoryMiB * 1024 * 1024,
      guestOs: str(config['guestOs']),
      guestId: str(config['guestId']),
      networks: records(config['nics']).map((n) => {
        const network = typeof n['network'] === 'object' && n['network'] !== null ? (n['network'] as Record<string, unknown>) : {};
        return { label: str(n['label']), network: str(network['name']), adapterType: str(n['type']), macAddress: str(n['macAddress']) };
      }),
    },
  };
}

/** Manifest summaries by point id, least recently used dropped first. */
export class ManifestSummaries {
  private readonly cache = new Map<string, ManifestSummary>();

  constructor(private readonly log: Logger) {}

  /** The summary, or null when the manifest cannot be read (logged: the point is then suspect). */
  async get(repo: Repository, pointId: string, signal: AbortSignal): Promise<ManifestSummary | null> {
    const hit = this.cache.get(pointId);
    if (hit) {
      this.cache.delete(pointId);
      this.cache.set(pointId, hit);
      return hit;
    }
    let summary: ManifestSummary;
    try {
      const manifest = await repo.readManifest(pointId, signal);
      summary = summarize(manifest.vm.id, manifest.vm.config);
    } catch (err) {
      if (signal.aborted) throw err;
      this.log.warn('restore point manifest unreadable', { pointId, error: describeError(err) });
      return null;
    }
    this.cache.set(pointId, summary);
    if (this.cache.size > MANIFEST_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    return summary;
  }
}
