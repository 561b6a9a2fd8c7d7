/**
 * The one place where a repository's Backend is assembled: the base implementation for the
 * location, then any wrappers. Tests add theirs (fault injection) through `wrap`, on top.
 */
import type { Backend } from './backend.js';
import type { TimeSource } from '../domain/index.js';
import { LocalBackend } from './local-backend.js';

export interface BackendStackOptions {
  clock: TimeSource;
  /** Outermost wrapper, for tests. */
  wrap?: (b: Backend) => Backend;
}

export async function openBackend(dir: string, opts: BackendStackOptions, signal: AbortSignal): Promise<Backend> {
  const base = await LocalBackend.open(dir, { clock: opts.clock }, signal);
  return opts.wrap ? opts.wrap(base) : base;
}
