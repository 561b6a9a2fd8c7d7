/**
 * Replica repositories: the copy of another site's repository that a DR site keeps, so that it can
 * restore that site's points when the site is gone for good. docs/replication.md gives the design
 * and its threat model; in short:
 *
 * - A replica has the source repository's id and config (its sealed config object, byte for byte)
 *   and the source's master key, wrapped in a key file under the DR site's own passphrase. Chunk
 *   ids, chunk encryption and manifest seals are therefore the source's: chunks and point objects
 *   are copied as stored, never decompressed or re-encrypted, and the replica opens with
 *   Repository.open and the DR site's passphrase alone.
 * - The master key travels once, in a seed (exportReplicaSeed) wrapped under a transfer secret
 *   that the two sites share and that does not travel with the seed; scrypt makes it costly to
 *   guess, and the seed's key file is the same format as a repository's own (keys.ts).
 * - A replica records where it comes from in a sealed `replica` object; it has a catalog of its own.
 *
 * Points arrive through engine/point-import.ts.
 */
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openCatalog } from '../catalog/index.js';
import { systemClock, systemRandomBytes, type RandomBytes, type TimeSource } from '../domain/index.js';
import { openBackend } from './backend/backend-stack.js';
import type { Logger } from '../log/index.js';
import { deriveKeys, MASTER_KEY_BYTES, unwrapMasterKey, wrapMasterKey, type KeyFile, type ScryptParams } from './keys.js';
import { chunkIdOf, type Repository, type RepositoryConfig } from './repository.js';
import { openDocument, sealDocument, unsealedText } from './sealed-document.js';
import { StoreError, isStoreError } from './store-error.js';

// Object names of a repository's layout (docs/repository.md), as repository.ts writes them.
const CONFIG_KEY = 'config';
const KEYS_PREFIX = 'keys/';
const CATALOG_FILE = 'catalog.db';
/** The replica's sealed record of its origin. */
export const REPLICA_KEY = 'replica';

/** What a source site hands a DR site once, so that the DR site can hold its points. */
export interface ReplicaSeed {
  format: 'lifeline-replica-seed/1';
  repositoryId: string;
  /** base64 of the source's sealed config object. */
  config: string;
  /** The source's master key, wrapped under the transfer secret (scrypt, AES-256-GCM). */
  key: KeyFile;
}

/** The sealed `replica` object of a replica repository. */
export interface ReplicaOrigin {
  format: 'lifeline-replica/1';
  /** The source repository's id (also this repository's id). */
  repositoryId: string;
  /** The source site as the DR site names it (its pairing's name). */
  source: string;
  createdAt: string;
}

/**
 * The source's key material for a DR site: its sealed config and its master key wrapped under
 * `transferSecret` (at least 8 characters; the pairing's shared secret, never the passphrase).
 */
export async function exportReplicaSeed(
  repo: Repository,
  transferSecret: string,
  signal: AbortSignal,
  opts: { scrypt?: ScryptParams; random?: RandomBytes } = {},
): Promise<ReplicaSeed> {
  const random = opts.random ?? repo.random;
  const config = await repo.backend.get(CONFIG_KEY, signal);
  const master = Buffer.from(repo.exportKey().masterKey, 'base64');
  try {
    const key = await wrapMasterKey({
      master,
      passphrase: transferSecret,
      repositoryId: repo.id,
      keyId: Buffer.from(random(8)).toString('hex'),
      createdAt: new Date(repo.now()).toISOString(),
      random,
      scrypt: opts.scrypt,
      signal,
    });
    return { format: 'lifeline-replica-seed/1', repositoryId: repo.id, config: Buffer.from(config).toString('base64'), key };
  } finally {
    master.fill(0);
  }
}

export interface ReplicaInitOptions {
  /** The secret the seed's key is wrapped under. */
  transferSecret: string;
  /** The DR site's own passphrase; required when the source repository is encrypted. */
  passphrase?: string;
  /** The source site's name, recorded in the replica. */
  source: string;
  scrypt?: ScryptParams;
  clock?: TimeSource;
  random?: RandomBytes;
  logger?: Logger;
}

/**
 * Creates a replica repository in an empty directory from a source's seed. Refuses a seed that
 * does not unwrap under the transfer secret ('wrong-passphrase') or whose config does not verify
 * under the key it carries ('not-a-repository'). The config is written last, as initRepository
 * does: a directory without it is not (yet) a repository.
 */
export async function initReplicaRepository(dir: string, seed: ReplicaSeed, opts: ReplicaInitOptions, signal: AbortSignal): Promise<RepositoryConfig> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandomBytes;
  if (seed?.format !== 'lifeline-replica-seed/1' || typeof seed.repositoryId !== 'string' || typeof seed.config !== 'string' || !seed.key) {
    throw new StoreError('unsupported-format', 'not a Lifeline replica seed');
  }
  const configBytes = Buffer.from(seed.config, 'base64');
  const master = await unwrapMasterKey(seed.key, opts.transferSecret, seed.repositoryId, signal);
  try {
    if (master.length !== MASTER_KEY_BYTES) throw new StoreError('unsupported-format', 'the replica seed carries a malformed key');
    let config: RepositoryConfig;
    try {
      const claimed = JSON.parse(unsealedText(configBytes, 'repository config')) as RepositoryConfig;
      config = openDocument(configBytes, deriveKeys(master, seed.repositoryId, claimed.encrypted === true).macKey, undefined, 'repository config') as RepositoryConfig;
    } catch (err) {
      if (isStoreError(err) || err instanceof SyntaxError) {
        throw new StoreError('not-a-repository', `the replica seed's repository config does not verify under its key (${err.message})`);
      }
      throw err;
    }
    if (config.format !== 'lifeline-repo/1' || config.id !== seed.repositoryId) {
      throw new StoreError('not-a-repository', `the replica seed describes repository ${String(config.id)}, not ${seed.repositoryId}`);
    }
    chunkIdOf(config);
    if (config.encrypted && opts.passphrase === undefined) {
      throw new StoreError('passphrase-required', 'the source repository is encrypted: its replica needs this site\'s passphrase');
    }
    // As for a primary store: only Lifeline's own user may enter, since the catalog names VMs in clear.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = (await readdir(dir)).filter((n) => !n.startsWith('.'));
    if (existing.length > 0) {
      const isRepo = existing.includes(CONFIG_KEY);
      throw new StoreError(
        isRepo ? 'repository-exists' : 'not-a-repository',
        isRepo ? `${dir} already holds a Lifeline repository` : `${dir} is not empty; a replica repository needs an empty directory`,
        { dir },
      );
    }
    await chmod(dir, 0o700);
    const backend = await openBackend(dir, { clock, ...(opts.logger ? { log: opts.logger } : {}) }, signal);
    const now = clock.now();
    const keyId = Buffer.from(random(8)).toString('hex');
    const keyFile = await wrapMasterKey({
      master,
      passphrase: config.encrypted ? opts.passphrase : undefined,
      repositoryId: config.id,
      keyId,
      createdAt: new Date(now).toISOString(),
      random,
      scrypt: opts.scrypt,
      signal,
    });
    await backend.put(`${KEYS_PREFIX}${keyId}`, Buffer.from(JSON.stringify(keyFile)), { signal });
    const origin: ReplicaOrigin = { format: 'lifeline-replica/1', repositoryId: config.id, source: opts.source, createdAt: new Date(now).toISOString() };
    const keys = deriveKeys(master, config.id, config.encrypted);
    await backend.put(REPLICA_KEY, sealDocument(origin, keys.macKey, keys.metaKey), { signal });
    const catalog = openCatalog(join(dir, CATALOG_FILE));
    try {
      catalog.setMeta('repository_id', config.id);
      catalog.recordTime(now);
    } finally {
      catalog.close();
    }
    await backend.put(CONFIG_KEY, configBytes, { signal });
    return config;
  } finally {
    master.fill(0);
  }
}

/** Where a replica repository comes from, or undefined for a repository that is not a replica. */
export async function replicaOrigin(repo: Repository, signal: AbortSignal): Promise<ReplicaOrigin | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await repo.backend.get(REPLICA_KEY, signal);
  } catch (err) {
    if (isStoreError(err, 'object-not-found')) return undefined;
    throw err;
  }
  const doc = openDocument(bytes, repo.keys.macKey, repo.keys.metaKey, 'replica record') as ReplicaOrigin;
  if (doc.format !== 'lifeline-replica/1' || doc.repositoryId !== repo.id) throw new StoreError('manifest-invalid', 'the replica record does not describe this repository');
  return doc;
}
