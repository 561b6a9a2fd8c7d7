/**
 * The one place where a repository's Backend is assembled: the base implementation for the
 * location, then the wrappers every repository gets (retries of transient I/O failures,
 * retrying-backend.ts), then what a test adds through `wrap` (fault injection), outermost, so
 * that an injected fault reaches the repository as it was injected.
 *
 * The location is the repository's directory. Its objects live there (LocalBackend) unless the
 * directory holds `backend.json`, the note init writes for a repository on S3: then they live in
 * the bucket it names (S3Backend) and the directory keeps the catalog. The note names no secret;
 * credentials come from its credentials file, from `s3Credentials`, or from the AWS chain.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from './backend.js';
import type { TimeSource } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import { LocalBackend } from './local-backend.js';
import { RetryingBackend } from './retrying-backend.js';
import { S3Backend, type S3Credentials, type S3Location } from './s3-backend.js';
import { StoreError } from '../store-error.js';

export const BACKEND_NOTE = 'backend.json';

export interface BackendStackOptions {
  clock: TimeSource;
  log?: Logger;
  /** Credentials for an S3 location whose note names no credentials file (tests, the server's config). */
  s3Credentials?: S3Credentials;
  /** Outermost wrapper, for tests. */
  wrap?: (b: Backend) => Backend;
}

interface BackendNote {
  kind: 's3';
  s3: S3Location;
}

/** The S3 location a repository directory's note names, or undefined for a local repository. */
export async function readBackendNote(dir: string): Promise<S3Location | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, BACKEND_NOTE), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
  const note = JSON.parse(text) as Partial<BackendNote>;
  const s3 = note.s3;
  if (note.kind !== 's3' || !s3 || typeof s3.bucket !== 'string' || typeof s3.region !== 'string' || typeof s3.prefix !== 'string') {
    throw new StoreError('not-a-repository', `${join(dir, BACKEND_NOTE)} does not name an S3 location`, { dir });
  }
  return s3;
}

export async function writeBackendNote(dir: string, s3: S3Location): Promise<void> {
  const note: BackendNote = { kind: 's3', s3 };
  await writeFile(join(dir, BACKEND_NOTE), `${JSON.stringify(note, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

export async function openBackend(dir: string, opts: BackendStackOptions, signal: AbortSignal): Promise<Backend> {
  const s3 = await readBackendNote(dir);
  const base = s3
    ? await S3Backend.open(s3, { clock: opts.clock, ...(opts.s3Credentials ? { credentials: opts.s3Credentials } : {}) })
    : await LocalBackend.open(dir, { clock: opts.clock }, signal);
  const stacked = new RetryingBackend(base, opts.log ? { log: opts.log } : {});
  return opts.wrap ? opts.wrap(stacked) : stacked;
}
