/**
 * The DR site's replicas: one replica repository per paired source site, in a folder of its own
 * under `root`, created on the source's first contact from the seed it sends (seed-transfer.ts)
 * and kept under this site's own passphrase. `receiverFor(peer)` is what the site route serves a
 * peer with: a receiver that reaches that peer's replica only, so one source can never offer into
 * another's. `prune()` applies each pairing's GFS rule to its replica (run by this site's
 * maintenance); the immutability period of the pairing locks every replicated point at least that
 * long, and nothing a source sends can delete, shorten or overwrite anything (docs/replication.md).
 */
import { createHash } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LifelineError } from '../errors/index.js';
import type { JobRunner } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { initReplicaRepository, prune, Repository, type KeepRules, type RepositoryContext, type ScryptParams } from '../store/index.js';
import type { CommittedReplica, OfferAnswer, PointOffer, ReplicaReceiver } from './protocol.js';
import { ReplicaSiteReceiver } from './receiver.js';
import { openSeedSecret, type SeedTransfer } from './seed-transfer.js';

/** A paired peer as the link names it (the pairing's record). */
export interface PeerIdentity {
  id: string;
  name: string;
  thumbprint: string;
}

/** What this site keeps of a source's points: the pairing's retention settings. */
export interface ReplicaRetention {
  retention: { keepLast: number; daily: number; weekly: number; monthly: number };
  immutableDays: number;
}

/** A receiver that can also take the source's seed on first contact. */
export interface SiteReplicaReceiver extends ReplicaReceiver {
  /** Creates the source's replica from its seed; 'exists' when it is there already (the seed is then ignored). */
  acceptSeed(transfer: SeedTransfer, signal: AbortSignal): Promise<'created' | 'exists'>;
}

export interface ReplicaSitesOptions {
  /** Folder holding the replica repositories, one per source site. */
  root: string;
  /** This site's store passphrase: every replica's master key is wrapped under it. */
  passphrase: string | undefined;
  /** This site's certificate key (PEM): seeds are encrypted to it. */
  keyPem: string;
  /** The pairing's retention for a source site; undefined when it is not paired (then nothing is received). */
  retentionOf: (peerId: string) => ReplicaRetention | undefined;
  context?: RepositoryContext;
  scrypt?: ScryptParams;
  logger?: Logger;
}

export interface ReplicaPruneReport {
  peerId: string;
  removed: string[];
  kept: number;
}

/** The folder name of a peer's replica: its id when that is a plain name, else a digest of it. */
export function replicaFolder(peerId: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(peerId) ? `replica-${peerId}` : `replica-${createHash('sha256').update(peerId).digest('hex').slice(0, 40)}`;
}

export class ReplicaSites {
  private readonly open = new Map<string, Promise<Repository | undefined>>();
  private readonly receivers = new Map<string, ReplicaSiteReceiver>();
  /** Seeds being made into a replica, per source: two jobs of one source may send it at once. */
  private readonly seeding = new Map<string, Promise<'created' | 'exists'>>();

  constructor(private readonly opts: ReplicaSitesOptions) {}

  dirOf(peerId: string): string {
    return join(this.opts.root, replicaFolder(peerId));
  }

  /** The replica repository of a source site, opened once; undefined before its seed arrived. */
  replica(peerId: string, signal: AbortSignal): Promise<Repository | undefined> {
    let p = this.open.get(peerId);
    if (!p) {
      p = (async () => {
        const dir = this.dirOf(peerId);
        try {
          await access(join(dir, 'config'));
        } catch {
          return undefined;
        }
        return Repository.open(dir, { ...this.opts.context, passphrase: this.opts.passphrase }, signal);
      })();
      this.open.set(peerId, p);
      // A failed open or a replica not there yet is tried again next time.
      p.then(
        (r) => {
          if (!r) this.open.delete(peerId);
        },
        () => this.open.delete(peerId),
      );
    }
    return p;
  }

  receiverFor(peer: PeerIdentity): SiteReplicaReceiver {
    const retention = (): ReplicaRetention => {
      const r = this.opts.retentionOf(peer.id);
      if (!r) throw new LifelineError('replication-refused', `site ${peer.name} is not paired with this site`);
      return r;
    };
    const inner = async (signal: AbortSignal): Promise<ReplicaSiteReceiver> => {
      retention();
      const repo = await this.replica(peer.id, signal);
      if (!repo) throw new LifelineError('replica-missing', `this site holds no replica of site ${peer.name} yet: send its seed first`);
      let r = this.receivers.get(peer.id);
      if (!r) {
        r = new ReplicaSiteReceiver({
          replicaOf: (id) => (id === repo.id ? repo : undefined),
          immutableDays: () => retention().immutableDays,
          ...(this.opts.logger ? { logger: this.opts.logger.child({ peer: peer.name }) } : {}),
        });
        this.receivers.set(peer.id, r);
      }
      return r;
    };
    const createReplica = async (transfer: SeedTransfer, signal: AbortSignal): Promise<'created' | 'exists'> => {
      retention();
      if (await this.replica(peer.id, signal)) return 'exists';
      const secret = openSeedSecret(transfer, this.opts.keyPem);
      await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
      await initReplicaRepository(
        this.dirOf(peer.id),
        transfer.seed,
        {
          transferSecret: secret,
          passphrase: this.opts.passphrase,
          source: peer.name,
          ...(this.opts.scrypt ? { scrypt: this.opts.scrypt } : {}),
          ...(this.opts.context?.clock ? { clock: this.opts.context.clock } : {}),
          ...(this.opts.logger ? { logger: this.opts.logger } : {}),
        },
        signal,
      );
      this.opts.logger?.info('replica repository created from the source site\'s seed', { peer: peer.name, repositoryId: transfer.seed.repositoryId });
      return 'created';
    };
    return {
      offer: async (offer: PointOffer, signal: AbortSignal): Promise<OfferAnswer> => (await inner(signal)).offer(offer, signal),
      putChunk: async (session: string, hex: string, stored: Uint8Array, signal: AbortSignal): Promise<void> => (await inner(signal)).putChunk(session, hex, stored, signal),
      commit: async (session: string, signal: AbortSignal): Promise<CommittedReplica> => (await inner(signal)).commit(session, signal),
      acceptSeed: async (transfer: SeedTransfer, signal: AbortSignal): Promise<'created' | 'exists'> => {
        // One replica per source: a seed that arrives while another is being made waits for it
        // (and then finds the replica made), so two jobs of one source never make it twice.
        const before = this.seeding.get(peer.id)?.catch(() => undefined) ?? Promise.resolve();
        const made = before.then(() => createReplica(transfer, signal));
        this.seeding.set(peer.id, made);
        try {
          return await made;
        } finally {
          if (this.seeding.get(peer.id) === made) this.seeding.delete(peer.id);
        }
      },
    };
  }

  /**
   * Applies each pairing's GFS rule to its replica: points the rule does not keep are removed once
   * their lock (the later of the source's retain-until and this site's immutability period) has
   * passed; a locked point stays whatever the rule says. Replicas of sites no longer paired are
   * left as they are.
   */
  async prune(peerIds: readonly string[], signal: AbortSignal): Promise<ReplicaPruneReport[]> {
    const out: ReplicaPruneReport[] = [];
    for (const peerId of peerIds) {
      const r = this.opts.retentionOf(peerId);
      const repo = r ? await this.replica(peerId, signal) : undefined;
      if (!r || !repo) continue;
      const rules: KeepRules = { last: Math.max(1, r.retention.keepLast), daily: r.retention.daily, weekly: r.retention.weekly, monthly: r.retention.monthly };
      const res = await prune(repo, rules, { dryRun: false, signal });
      out.push({ peerId, removed: res.removed, kept: res.plan.length - res.removed.length });
    }
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    this.receivers.clear();
    for (const p of all) await (await p.catch(() => undefined))?.close();
  }
}

/**
 * Runs the DR site's pruning of replicas after each `maintenance` job of this server that
 * succeeds (the daily maintenance, or one an administrator asked for). Returns its stop.
 */
export function pruneReplicasAfterMaintenance(runner: Pick<JobRunner, 'subscribe'>, sites: ReplicaSites, peerIds: () => readonly string[], log: Logger): () => void {
  let running = false;
  return runner.subscribe((ev) => {
    if (ev.type !== 'state' || ev.job.kind !== 'maintenance' || ev.job.state !== 'succeeded' || running) return;
    running = true;
    sites
      .prune(peerIds(), new AbortController().signal)
      .then((reports) => {
        for (const r of reports) log.info('replicas pruned by the pairing\'s retention', { peer: r.peerId, removed: r.removed.length, kept: r.kept });
      })
      .catch((err: unknown) => log.error('pruning replicas failed', { err: err instanceof Error ? err.message : String(err) }))
      .finally(() => (running = false));
  });
}
