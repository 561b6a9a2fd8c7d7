/**
 * Repository keys. `init` makes a random 256-bit master key; everything else is derived from it
 * with HKDF-SHA256 and the repository id as salt:
 *   - chunk-id key: keyed chunk ids (BLAKE3, or HMAC-SHA256 in older repositories) when encrypted,
 *   - chunk key: AES-256-GCM of chunk payloads,
 *   - mac key: HMAC of restore point manifests and of the repository config,
 *   - metadata key: AES-256-GCM of manifests (VM names and configuration) in an encrypted repository.
 *
 * The master key is stored in key files (keys/<id>), wrapped with AES-256-GCM under a key derived
 * from the passphrase with scrypt (parameters kept in the file). Several key files may exist;
 * changing the passphrase writes a new one and then removes the old. An unencrypted repository
 * still has a master key, stored unwrapped, so that manifests carry a MAC that detects damage and
 * naive edits; there it is not a secret.
 *
 * Key material never leaves this module in a printable form except through exportKey(), which the
 * administrator asks for explicitly; errors and logs name key files, never keys.
 */
import { createCipheriv, createDecipheriv, hkdfSync, scrypt, timingSafeEqual } from 'node:crypto';
import { throwIfAborted } from './bounded.js';
import type { RandomBytes } from '../domain/index.js';
import { StoreError } from './store-error.js';

export const MASTER_KEY_BYTES = 32;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * 64 MiB of memory and about 0.2 s on a current server core: what restic's calibration (0.5 s
 * within 60 MiB) arrives at on such machines. Every command pays it once; a key file records its
 * own parameters, so stronger ones can be used for new key files without breaking old ones.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };

export interface KeyFile {
  format: 'lifeline-key/1';
  id: string;
  createdAt: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string } | { name: 'none' };
  /** base64: 12-byte nonce, then the GCM ciphertext of the master key, then the 16-byte tag. */
  wrapped?: string;
  /** base64 master key; only in unencrypted repositories. */
  plain?: string;
}

export interface KeyExport {
  format: 'lifeline-key-export/1';
  repositoryId: string;
  /** base64 of the 32-byte master key. */
  masterKey: string;
}

export interface RepositoryKeys {
  readonly encrypted: boolean;
  /** Chunk-id key; undefined in an unencrypted repository (ids are plain SHA-256). */
  readonly idKey: Uint8Array | undefined;
  /** Chunk payload key; undefined in an unencrypted repository. */
  readonly chunkKey: Uint8Array | undefined;
  readonly macKey: Uint8Array;
  /** Encrypts manifests (VM names and configuration); undefined in an unencrypted repository. */
  readonly metaKey: Uint8Array | undefined;
}

export function deriveKeys(master: Uint8Array, repositoryId: string, encrypted: boolean): RepositoryKeys {
  const derive = (label: string) => new Uint8Array(hkdfSync('sha256', master, repositoryId, `lifeline ${label}`, 32));
  return {
    encrypted,
    idKey: encrypted ? derive('chunk-id') : undefined,
    chunkKey: encrypted ? derive('chunk-encryption') : undefined,
    macKey: derive('manifest-mac'),
    metaKey: encrypted ? derive('metadata-encryption') : undefined,
  };
}

function scryptAsync(passphrase: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 32 * 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function aad(repositoryId: string, keyId: string): Buffer {
  return Buffer.from(`lifeline-key/1 ${repositoryId} ${keyId}`);
}

export async function wrapMasterKey(args: {
  master: Uint8Array;
  passphrase: string | undefined;
  repositoryId: string;
  keyId: string;
  createdAt: string;
  random: RandomBytes;
  scrypt?: ScryptParams;
  signal: AbortSignal;
}): Promise<KeyFile> {
  const { master, passphrase, repositoryId, keyId, createdAt, random, signal } = args;
  if (passphrase === undefined) {
    return { format: 'lifeline-key/1', id: keyId, createdAt, kdf: { name: 'none' }, plain: Buffer.from(master).toString('base64') };
  }
  checkPassphrase(passphrase);
  const params = args.scrypt ?? DEFAULT_SCRYPT;
  const salt = Buffer.from(random(32));
  const kek = await scryptAsync(passphrase, salt, params);
  throwIfAborted(signal);
  const nonce = Buffer.from(random(12));
  const c = createCipheriv('aes-256-gcm', kek, nonce);
  c.setAAD(aad(repositoryId, keyId));
  const body = Buffer.concat([c.update(master), c.final()]);
  kek.fill(0);
  return {
    format: 'lifeline-key/1',
    id: keyId,
    createdAt,
    kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') },
    wrapped: Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64'),
  };
}

/** Unwraps the master key; a wrong passphrase is 'wrong-passphrase', a missing one 'passphrase-required'. */
export async function unwrapMasterKey(file: KeyFile, passphrase: string | undefined, repositoryId: string, signal: AbortSignal): Promise<Uint8Array> {
  if (file.kdf.name === 'none') {
    const master = Buffer.from(file.plain ?? '', 'base64');
    if (master.length !== MASTER_KEY_BYTES) throw new StoreError('unsupported-format', `key file ${file.id} is malformed`, { keyId: file.id });
    return new Uint8Array(master);
  }
  if (passphrase === undefined) {
    throw new StoreError('passphrase-required', 'this repository is encrypted: give --passphrase-file or set LIFELINE_PASSPHRASE');
  }
  const { N, r, p, salt } = file.kdf;
  const kek = await scryptAsync(passphrase, Buffer.from(salt, 'base64'), { N, r, p });
  throwIfAborted(signal);
  const blob = Buffer.from(file.wrapped ?? '', 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', kek, blob.subarray(0, 12));
    d.setAAD(aad(repositoryId, file.id));
    d.setAuthTag(blob.subarray(blob.length - 16));
    const master = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
    if (master.length !== MASTER_KEY_BYTES) throw new Error('bad length');
    return new Uint8Array(master);
  } catch {
    throw new StoreError('wrong-passphrase', `the passphrase does not unlock key ${file.id}`, { keyId: file.id });
  } finally {
    kek.fill(0);
  }
}

export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8) {
    throw new StoreError('wrong-passphrase', 'a passphrase must have at least 8 characters');
  }
}

export function parseKeyFile(bytes: Uint8Array, key: string): KeyFile {
  try {
    const f = JSON.parse(Buffer.from(bytes).toString('utf8')) as KeyFile;
    if (f.format !== 'lifeline-key/1' || typeof f.id !== 'string') throw new Error('format');
    return f;
  } catch {
    throw new StoreError('unsupported-format', `${key} is not a Lifeline key file`, { key });
  }
}

export function exportMasterKey(master: Uint8Array, repositoryId: string): KeyExport {
  return { format: 'lifeline-key-export/1', repositoryId, masterKey: Buffer.from(master).toString('base64') };
}

export function importMasterKey(exported: KeyExport, repositoryId: string): Uint8Array {
  const master = Buffer.from(exported.masterKey ?? '', 'base64');
  if (exported.format !== 'lifeline-key-export/1' || master.length !== MASTER_KEY_BYTES) {
    throw new StoreError('unsupported-format', 'not a Lifeline key export');
  }
  if (exported.repositoryId !== repositoryId) {
    throw new StoreError('wrong-passphrase', `the exported key belongs to repository ${exported.repositoryId}, not ${repositoryId}`);
  }
  return new Uint8Array(master);
}

/** Constant-time comparison for MACs. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
