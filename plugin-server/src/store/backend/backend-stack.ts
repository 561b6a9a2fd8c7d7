/**
 * The one place where a repository's Backend is assembled: the base implementation for the
 * location, then the wrappers every repository gets (retries of transient I/O failures,
 * retrying-backend.ts), then what a test adds through `wrap` (fault injection), outermost, so
 * that an injected fault reaches the repository as it was injected.
 */
import type { Backend } from './backend.js';
import type { TimeSource } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import { LocalBackend } from './local-backend.js';
import { RetryingBackend } from './retrying-backend.js';

export interface BackendStackOptions {
  clock: TimeSource;
  log?: Logger;
  /** Outermost wrapper, for tests. */
  wrap?: (b: Backend) => Backend;
}

export async function openBackend(dir: string, opts: BackendStackOptions, signal: AbortSignal): Promise<Backend> {
  const base = await LocalBackend.open(dir, { clock: opts.clock }, signal);
  const stacked = new RetryingBackend(base, opts.log ? { log: opts.log } : {});
  return opts.wrap ? opts.wrap(stacked) : stacked;
}
