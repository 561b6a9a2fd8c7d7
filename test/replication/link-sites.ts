/**
 * Site A (a repository with restore points) and site B (ReplicaSites behind a mutual-TLS site
 * listener) on loopback, for the HTTPS link suites. B holds no replica at first: A's first offer
 * brings its seed (encrypted to B's certificate key). Real files, repositories, TLS and HTTP.
 */
import { join } from 'node:path';
import { initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { HttpReplicaReceiver, ReplicaSites, sealSeedFor, type PeerIdentity, type ReplicaReceiver, type ReplicaRetention, type SiteIdentity } from '../../plugin-server/src/replication/index.js';
import type { Logger } from '../../plugin-server/src/log/index.js';
import { FAST_SCRYPT, MiB, never } from '../store/store-fixtures.js';
import { siteIdentity, startSiteListener, type SiteListener } from './site-link.js';

export const PASS_A = 'site A passphrase';
export const PASS_B = 'site B passphrase';
export const RETENTION: ReplicaRetention = { retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 6 }, immutableDays: 14 };
export const CHUNK = 1 * MiB;

export interface LinkSites {
  root: string;
  a: Repository;
  idA: SiteIdentity;
  idB: SiteIdentity;
  /** A as B's pairing knows it. */
  peerA: PeerIdentity;
  sites: ReplicaSites;
  listener: SiteListener;
  close(): Promise<void>;
}

export const replicasDir = (root: string): string => join(root, 'site-b', 'replicas');
export const identityDirB = (root: string): string => join(root, 'site-b', 'data');

export function replicaSitesB(root: string, idB: SiteIdentity, peerA: PeerIdentity, retention: () => ReplicaRetention | undefined = () => RETENTION, logger?: Logger): ReplicaSites {
  return new ReplicaSites({
    root: replicasDir(root),
    passphrase: PASS_B,
    keyPem: idB.keyPem,
    retentionOf: (id) => (id === peerA.id ? retention() : undefined),
    scrypt: FAST_SCRYPT,
    ...(logger ? { logger } : {}),
  });
}

/** A's repository and identity, B's identity, replicas and listener; `wrap` sees every receiver B hands out. */
export async function startLinkSites(root: string, opts: { wrap?: (r: ReplicaReceiver) => ReplicaReceiver; retention?: () => ReplicaRetention } = {}): Promise<LinkSites> {
  await initRepository(join(root, 'site-a', 'store'), { encrypt: true, passphrase: PASS_A, scrypt: FAST_SCRYPT, chunkSize: CHUNK }, never);
  const a = await Repository.open(join(root, 'site-a', 'store'), { passphrase: PASS_A }, never);
  const idA = await siteIdentity(join(root, 'site-a', 'data'), 'site A');
  const idB = await siteIdentity(identityDirB(root), 'site B');
  const peerA: PeerIdentity = { id: 'site-a', name: 'site A', thumbprint: idA.thumbprint };
  const sites = replicaSitesB(root, idB, peerA, opts.retention);
  const listener = await startSiteListener({ identity: idB, peers: () => [peerA], receiverFor: (p) => (opts.wrap ? opts.wrap(sites.receiverFor(p)) : sites.receiverFor(p)) });
  return {
    root,
    a,
    idA,
    idB,
    peerA,
    sites,
    listener,
    close: async () => {
      await listener.close();
      await sites.close();
      await a.close();
    },
  };
}

/** A's client for B at `url` (B's listener unless a proxy is in between). */
export function clientOf(s: Pick<LinkSites, 'a' | 'idA' | 'idB'>, url: string, opts: { idleTimeoutMs?: number } = {}): HttpReplicaReceiver {
  return new HttpReplicaReceiver({
    url,
    identity: s.idA,
    peerThumbprint: s.idB.thumbprint,
    seedFor: (der, signal) => sealSeedFor(s.a, der, signal, { scrypt: FAST_SCRYPT }),
    ...opts,
  });
}
