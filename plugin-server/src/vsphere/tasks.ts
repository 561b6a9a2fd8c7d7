/**
 * vCenter tasks run to completion. Task.info is polled, quickly at first and then every second:
 * a task outlives the session that started it, so polling carries on across a new login, where a
 * WaitForUpdatesEx filter would die with the old session. A task that ends in error becomes a
 * VimTaskError with the fault's name and vCenter's message.
 */
import { retrieveOne } from './property-collector.js';
import { VimProtocolError, VimTaskError } from './vim-errors.js';
import type { VimMethod, VimSession } from './vim-session.js';
import { decodeMoRef, encodeMoRef, field, isRecord, num, plain, str, xsiType, type MoRef } from './vim-values.js';

export interface TaskOptions {
  readonly signal?: AbortSignal | undefined;
  /** Called with vCenter's percentage whenever it changes. */
  readonly onProgress?: ((percent: number) => void) | undefined;
  /** Called with the task once vCenter has started it, before the wait (so a caller can record it and wait for it after a crash). */
  readonly onTask?: ((task: MoRef) => void) | undefined;
}

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 1000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a finished task reports, as a typed error. */
function taskError(task: MoRef, description: string, error: unknown): VimTaskError {
  const fault = field(error, 'fault');
  const faultName = xsiType(fault) ?? 'SystemError';
  const message = str(field(error, 'localizedMessage')) ?? '';
  const props = plain(fault);
  const { _type: _ignored, ...rest } = isRecord(props) ? props : {};
  return new VimTaskError(task.value, description, faultName, message, rest);
}

/**
 * Waits for a task and returns its result (a MoRef for tasks that make an object, else whatever
 * vCenter returned, or undefined). Aborting stops the waiting, not the task.
 */
export async function waitForTask(session: VimSession, task: MoRef, description: string, opts: TaskOptions = {}): Promise<unknown> {
  let delay = FIRST_POLL_MS;
  let lastProgress: number | undefined;
  for (;;) {
    const { props } = await retrieveOne(session, task, ['info.state', 'info.progress', 'info.error', 'info.result'], opts.signal);
    const state = str(props.get('info.state'));
    switch (state) {
      case 'success': {
        if (lastProgress !== 100) opts.onProgress?.(100);
        const result = props.get('info.result');
        return decodeMoRef(result) ?? (result === undefined || result === null ? undefined : plain(result));
      }
      case 'error':
        throw taskError(task, description, props.get('info.error'));
      case 'queued':
      case 'running': {
        const progress = num(props.get('info.progress'));
        if (progress !== undefined && progress !== lastProgress) {
          lastProgress = progress;
          opts.onProgress?.(progress);
        }
        break;
      }
      default:
        throw new VimProtocolError(`task ${task.value} (${description}) is in an unknown state: ${state ?? '(none)'}`);
    }
    await sleep(delay, opts.signal);
    delay = Math.min(MAX_POLL_MS, Math.ceil(delay * 1.5));
  }
}

/**
 * Asks vCenter to cancel a task (Task.CancelTask). The cancel is asynchronous: the task may still
 * end in success; a cancelled one ends in error with RequestCanceled. vCenter faults InvalidState
 * when the task has completed already, NotSupported when it is not cancelable.
 */
export async function cancelTask(session: VimSession, task: MoRef, signal?: AbortSignal): Promise<void> {
  await session.call('CancelTask', { _this: encodeMoRef(task) }, signal);
}

/** Starts a `*_Task` method and waits for the task. */
export async function runTask(
  session: VimSession,
  method: VimMethod,
  args: Record<string, unknown>,
  description: string,
  opts: TaskOptions = {},
): Promise<unknown> {
  const task = decodeMoRef(await session.call(method, args, opts.signal));
  if (!task) throw new VimProtocolError(`${method} returned no task`);
  opts.onTask?.(task);
  return waitForTask(session, task, description, opts);
}
