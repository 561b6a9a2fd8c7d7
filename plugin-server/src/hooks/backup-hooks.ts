/**
 * The hooks a backup calls around its snapshot: `preSnapshot` just before the snapshot is taken
 * (flush a database, pause a service) and `postSnapshot` right after it, whether the snapshot was
 * taken or not, so whatever the pre-hook froze is always thawed. Implementations: scripts run on
 * the Lifeline server (script-hooks.ts) now, the in-guest agent later, behind the same interface.
 *
 * Contract: a hook resolves when it succeeded and rejects with a HookError when it failed or ran
 * out of time; it must honour its AbortSignal (the caller aborts it at the hook's timeout).
 */
import { LifelineError } from '../errors/index.js';

export interface HookTarget {
  readonly jobId: string;
  readonly vcenterGuid: string;
  readonly moref: string;
  readonly name: string;
  /** What the backup is trying for; the pre-hook may skip work a crash-consistent point does not need. */
  readonly consistency: 'application' | 'crash';
}

export interface PostSnapshotOutcome {
  /** Whether the snapshot exists (false: creating it failed, or the pre-hook already failed the job). */
  readonly snapshotTaken: boolean;
  /** Why the backup failed before or at the snapshot, if it did. */
  readonly error: string | null;
}

/** What a hook did, for the job log. */
export interface HookReport {
  readonly ran: number;
  readonly messages: readonly string[];
}

export interface BackupHooks {
  preSnapshot(target: HookTarget, signal: AbortSignal): Promise<HookReport>;
  postSnapshot(target: HookTarget, outcome: PostSnapshotOutcome, signal: AbortSignal): Promise<HookReport>;
}

export type HookErrorCode = 'hook-failed' | 'hook-timeout';

export class HookError extends LifelineError {
  constructor(code: HookErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

/** For VMs with nothing to run around the snapshot. */
export const noHooks: BackupHooks = {
  preSnapshot: () => Promise.resolve({ ran: 0, messages: [] }),
  postSnapshot: () => Promise.resolve({ ran: 0, messages: [] }),
};

/**
 * Runs one hook under its own deadline. The hook's signal is aborted at the deadline (so scripts
 * are killed) and the call rejects with 'hook-timeout' even if the hook ignores its signal.
 */
export async function runHookWithTimeout<T>(name: string, timeoutMs: number, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const deadline = new AbortController();
  const combined = AbortSignal.any([signal, deadline.signal]);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new HookError('hook-timeout', `${name} did not finish within ${timeoutMs} ms and was stopped`, { hook: name, timeoutMs });
      deadline.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(combined), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
