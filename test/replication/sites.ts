/**
 * Two sites' repositories on one machine for the replication suites: a source repository (site A)
 * with a VM's restore point, and a replica of it (site B) made from A's seed under B's own
 * passphrase, with a receiver over it. Real files and real repositories; the link between them is
 * the in-process one.
 */
import { join } from 'node:path';
import { initRepository, Repository, type RepositoryConfig } from '../../plugin-server/src/store/repository.js';
import { exportReplicaSeed, initReplicaRepository } from '../../plugin-server/src/store/replica.js';
import { InProcessLink, ReplicaSiteReceiver } from '../../plugin-server/src/replication/index.js';
import { FAST_SCRYPT, MiB, never, writeImage, type Region } from '../store/store-fixtures.js';

export const PASSPHRASE_A = 'site A passphrase';
export const PASSPHRASE_B = 'site B passphrase';
export const TRANSFER_SECRET = 'a secret both sites hold';
/** Site B's immutability period for replicas. */
export const IMMUTABLE_DAYS = 14;

/**
 * Mixed disk content: every 4 MiB chunk holds random data (unique per chunk, so no two chunks are
 * equal), text that compresses well, and a zero or constant megabyte.
 */
export function mixedRegion(i: number): Region {
  switch (i % 4) {
    case 0:
      return { kind: 'random', seed: 1000 + i };
    case 1:
      return { kind: 'text' };
    case 2:
      return i % 8 === 2 ? { kind: 'zero' } : { kind: 'fill', byte: (i * 7) % 251 };
    default:
      return { kind: 'random', seed: 5000 + i };
  }
}

export async function writeMixedImage(path: string, size: number): Promise<string> {
  return writeImage(path, size, mixedRegion);
}

export const SITE_A_DIR = 'site-a';
export const SITE_B_DIR = 'site-b';

/** Creates A's repository and B's replica of it under `root`. */
export async function createSites(root: string): Promise<RepositoryConfig> {
  const aDir = join(root, SITE_A_DIR);
  const config = await initRepository(aDir, { encrypt: true, passphrase: PASSPHRASE_A, scrypt: FAST_SCRYPT }, never);
  const a = await Repository.open(aDir, { passphrase: PASSPHRASE_A }, never);
  try {
    const seed = await exportReplicaSeed(a, TRANSFER_SECRET, never, { scrypt: FAST_SCRYPT });
    await initReplicaRepository(join(root, SITE_B_DIR), seed, { transferSecret: TRANSFER_SECRET, passphrase: PASSPHRASE_B, source: 'site A', scrypt: FAST_SCRYPT }, never);
  } finally {
    await a.close();
  }
  return config;
}

export function openSiteA(root: string): Promise<Repository> {
  return Repository.open(join(root, SITE_A_DIR), { passphrase: PASSPHRASE_A }, never);
}

export function openSiteB(root: string): Promise<Repository> {
  return Repository.open(join(root, SITE_B_DIR), { passphrase: PASSPHRASE_B }, never);
}

/** B's receiver over its replica, behind an in-process link that counts what crosses. */
export function linkTo(b: Repository): InProcessLink {
  const receiver = new ReplicaSiteReceiver({ replicaOf: (id) => (id === b.id ? b : undefined), immutableDays: IMMUTABLE_DAYS });
  return new InProcessLink(receiver);
}

export { MiB };
