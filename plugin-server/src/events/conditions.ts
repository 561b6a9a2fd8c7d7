/**
 * Events from conditions rather than from jobs: a VM's copy at its DR site falling behind its RPO
 * (`replication.lagging`) and catching up again (`replication.recovered`), and the backup store
 * running low on space (`store.low`), full (`store.full`) or fine again (`store.ok`). Each is
 * looked at every `intervalMs` (a minute in the server) and told when it changes, not at every
 * look. A replication episode is keyed by the last point the DR site holds, so a restart does not
 * tell the same lag twice; the store's level is kept in memory only, so after a restart a store
 * that is still low is told once more.
 */
import type { Clock, VmRef } from '../domain/index.js';
import { describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { NewEvent } from './event.js';
import type { RecordOptions } from './events-store.js';

/** One protected VM's copy at its DR site, as the replication coordinator sees it now. */
export interface ReplicationFact {
  vm: VmRef;
  site: string;
  /** Age of the newest point the DR site holds; null when it holds none. */
  lagSeconds: number | null;
  rpoSeconds: number;
  rpoMet: boolean;
  lastReplicatedPointId: string | null;
}

export interface StoreSpaceFact {
  totalBytes: number;
  freeBytes: number;
  /** Below this much free space the store takes no new data. */
  reserveBytes: number;
}

export interface ConditionSources {
  replication?: ((signal: AbortSignal) => Promise<readonly ReplicationFact[]>) | null;
  store?: ((signal: AbortSignal) => Promise<StoreSpaceFact | null>) | null;
}

/** The store is low below this share of its file system free (and full at its reserve). */
export const STORE_LOW_FREE_RATIO = 0.1;

export type StoreLevel = 'ok' | 'low' | 'full';

export function storeLevel(f: StoreSpaceFact): StoreLevel {
  if (f.freeBytes <= f.reserveBytes) return 'full';
  if (f.freeBytes < f.totalBytes * STORE_LOW_FREE_RATIO) return 'low';
  return 'ok';
}

export interface WatchConditionsOptions {
  sources: ConditionSources;
  record(e: NewEvent, opts: RecordOptions): void;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  signal: AbortSignal;
}

const GiB = 1024 ** 3;

/** Looks at the conditions now and every `intervalMs`; returns a stop function. */
export function watchConditions(opts: WatchConditionsOptions): () => void {
  const lagging = new Map<string, boolean>();
  let level: StoreLevel | null = null;
  let timer: { cancel(): void } | null = null;

  const lookAtReplication = async (): Promise<void> => {
    const source = opts.sources.replication;
    if (!source) return;
    const facts = await source(opts.signal);
    const seen = new Set<string>();
    for (const f of facts) {
      const key = `${f.vm.vcenterGuid}:${f.vm.moref}`;
      seen.add(key);
      const was = lagging.get(key);
      const now = !f.rpoMet;
      lagging.set(key, now);
      // The first look at a VM whose copy is fine is no news.
      if (was === now || (was === undefined && !now)) continue;
      const vm = { vcenterGuid: f.vm.vcenterGuid, moref: f.vm.moref };
      const data = { siteName: f.site, lagSeconds: f.lagSeconds, rpoSeconds: f.rpoSeconds, lastReplicatedPointId: f.lastReplicatedPointId };
      const episode = `replication:${key}:${f.lastReplicatedPointId ?? 'none'}`;
      if (now) {
        const behind = f.lagSeconds === null ? 'holds no restore point of it' : `holds a restore point ${f.lagSeconds} s old, beyond the RPO of ${f.rpoSeconds} s`;
        opts.record({ type: 'replication.lagging', vm, site: f.site, message: `The DR site ${f.site} ${behind} for ${f.vm.moref}`, data }, { dedupeKey: `${episode}:lagging` });
      } else {
        opts.record({ type: 'replication.recovered', vm, site: f.site, message: `The DR site ${f.site} holds a restore point of ${f.vm.moref} within its RPO again`, data }, { dedupeKey: `${episode}:recovered` });
      }
    }
    for (const key of [...lagging.keys()]) if (!seen.has(key)) lagging.delete(key);
  };

  const lookAtStore = async (): Promise<void> => {
    const source = opts.sources.store;
    if (!source) return;
    const f = await source(opts.signal);
    if (!f) return;
    const next = storeLevel(f);
    const was = level;
    level = next;
    if (was === next || (was === null && next === 'ok')) return;
    const free = `${(f.freeBytes / GiB).toFixed(1)} GiB free of ${(f.totalBytes / GiB).toFixed(1)} GiB`;
    const data = { totalBytes: f.totalBytes, freeBytes: f.freeBytes, reserveBytes: f.reserveBytes };
    if (next === 'full') opts.record({ type: 'store.full', message: `The backup store is full (${free}, reserve ${(f.reserveBytes / GiB).toFixed(1)} GiB): new backups cannot be stored`, data }, {});
    else if (next === 'low') opts.record({ type: 'store.low', message: `The backup store is running low on space (${free})`, data }, {});
    else opts.record({ type: 'store.ok', message: `The backup store has room again (${free})`, data }, {});
  };

  const tick = async (): Promise<void> => {
    for (const look of [lookAtReplication, lookAtStore]) {
      try {
        await look();
      } catch (err) {
        if (!opts.signal.aborted) opts.log.warn('a condition for events could not be read', { error: describeError(err) });
      }
    }
    if (!opts.signal.aborted) timer = opts.clock.setTimer(opts.intervalMs, () => void tick());
  };
  void tick();
  return () => timer?.cancel();
}

/** The server's parts the replication facts come from: the scheduler, the policies, the replication coordinator. */
export interface ReplicationParts {
  compliance(signal: AbortSignal): Promise<ReadonlyArray<{ vm: VmRef; policyId: string }>>;
  policy(id: string): { replicationSite: string | null; rpoSeconds: number } | undefined;
  vmReplication(vm: VmRef, policy: { replicationSite: string; rpoSeconds: number }): { site: { name: string } | null; lagSeconds: number | null; rpoMet: boolean | null; lastReplicatedPointId: string | null };
}

/** Each protected VM whose policy names a DR site, with its copy there. */
export function replicationFacts(parts: ReplicationParts): (signal: AbortSignal) => Promise<ReplicationFact[]> {
  return async (signal) =>
    (await parts.compliance(signal)).flatMap((c) => {
      let policy: ReturnType<ReplicationParts['policy']>;
      try {
        policy = parts.policy(c.policyId);
      } catch {
        // The policy was deleted since the scheduler read it.
        return [];
      }
      if (!policy || policy.replicationSite === null) return [];
      const r = parts.vmReplication(c.vm, { replicationSite: policy.replicationSite, rpoSeconds: policy.rpoSeconds });
      return [{ vm: c.vm, site: r.site?.name ?? policy.replicationSite, lagSeconds: r.lagSeconds, rpoSeconds: policy.rpoSeconds, rpoMet: r.rpoMet === true, lastReplicatedPointId: r.lastReplicatedPointId }];
    });
}
