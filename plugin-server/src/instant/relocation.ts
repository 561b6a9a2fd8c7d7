/**
 * vCenter's relocation of an instant recovery's disks (RelocateVM_Task with disk locators, Storage
 * vMotion), as make permanent and migrate to production run it:
 * - the task's moref is handed to the caller as soon as vCenter has started it, so that it is on
 *   record before Lifeline waits (a restart then follows that task instead of guessing);
 * - a user's cancel asks vCenter to cancel the task (Task.CancelTask; vSphere marks a Storage
 *   vMotion task cancelable). vCenter ends a cancelled relocation with RequestCanceled and leaves
 *   the VM wholly on its source datastore: the outcome is then 'cancelled'. The cancel is
 *   asynchronous: vCenter may finish the move before it takes, and the outcome is then 'moved';
 * - Lifeline's own stop (shutdown, the job's time limit) only stops the waiting: the task goes on
 *   and the caller leaves its record for the clean-up, which waits for the task (awaitRelocation).
 * Each of these is said in the job log.
 */
import { describeError, LifelineError } from '../errors/index.js';
import { isVimFault, VimTaskError, type MoRef } from '../vsphere/index.js';
import type { InstantVcenter } from './instant-vcenter.js';

export type RelocationOutcome = 'moved' | 'cancelled';

export interface RelocationOptions {
  /** Stops the waiting (shutdown, time limit), never the task. */
  readonly signal: AbortSignal;
  /** The user's cancel: asks vCenter to cancel the task. Aborted before the task starts, nothing is started. */
  readonly cancel?: AbortSignal | undefined;
  /** Records the task once vCenter has started it; awaited before the outcome is returned. */
  onTask(task: string): Promise<unknown>;
  onProgress?(percent: number): void;
  log(message: string): void;
}

/** Thrown when the user's cancel came before vCenter started the relocation: nothing moved. */
export class RelocationNotStarted extends Error {
  constructor(readonly reason: unknown) {
    super('cancelled before the relocation started');
  }
}

/** Moves the disks and says how it ended: 'moved', or 'cancelled' by the user's cancel (nothing moved). */
export async function relocateWithCancel(
  vc: Pick<InstantVcenter, 'relocateDisks' | 'cancelTask'>,
  vm: string,
  moves: ReadonlyArray<{ readonly deviceKey: number; readonly datastore: string }>,
  o: RelocationOptions,
): Promise<RelocationOutcome> {
  if (o.cancel?.aborted) {
    o.log('cancelled before vCenter was asked to move the disks: nothing moved');
    throw new RelocationNotStarted(o.cancel.reason);
  }
  let task: MoRef | undefined;
  let recorded: Promise<unknown> = Promise.resolve();
  let asked = false;
  const askCancel = (): void => {
    if (!task || asked) return;
    asked = true;
    const t = task;
    o.log(`cancel requested: asking vCenter to cancel its relocation task ${t.value}`);
    vc.cancelTask(t, AbortSignal.timeout(60_000)).catch((err: unknown) => {
      o.log(`vCenter did not take the cancel of task ${t.value} (${describeError(err)}); waiting for the relocation to end`);
    });
  };
  o.cancel?.addEventListener('abort', askCancel, { once: true });
  try {
    await vc.relocateDisks(vm, moves, {
      signal: o.signal,
      onTask: (t) => {
        task = t;
        recorded = o.onTask(t.value);
        // Seen at once (and awaited below): a move can take hours, and a rejection nobody
        // handles meanwhile would end the process while vCenter's task runs on.
        recorded.catch((err: unknown) => {
          o.log(`the relocation task ${t.value} could not be put on record (${describeError(err)}); a restart meanwhile would go by where the disks are`);
        });
        if (o.cancel?.aborted) askCancel();
      },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    await recorded;
    if (asked) o.log('vCenter finished moving the disks before the cancel took effect; the move is complete and is finished here');
    return 'moved';
  } catch (err) {
    await recorded.catch(() => undefined);
    if (err instanceof VimTaskError && err.faultName === 'RequestCanceled') {
      o.log(`vCenter cancelled its relocation task ${task?.value ?? ''} (RequestCanceled): the disks stay on Lifeline's NFS datastore`);
      return 'cancelled';
    }
    throw err;
  } finally {
    o.cancel?.removeEventListener('abort', askCancel);
  }
}

/**
 * What a step whose relocation vCenter cancelled throws: the user's cancel, or (cancelled in vCenter
 * itself, e.g. from the vSphere Client) an error saying so.
 */
export function relocationCancelled(ctx: { readonly cancel?: AbortSignal | undefined }, what: string): unknown {
  if (ctx.cancel?.aborted) return ctx.cancel.reason;
  return new LifelineError('cancelled', `${what} was cancelled in vCenter (its relocation task ended with RequestCanceled); nothing moved`);
}

/**
 * After a restart: waits for a relocation task Lifeline recorded and says how it ended; 'unknown'
 * when vCenter no longer knows the task (it forgets old tasks, and a restart of vCenter forgets
 * them all): the caller then goes by where the disks are.
 */
export async function awaitRelocation(
  vc: Pick<InstantVcenter, 'waitForTask'>,
  task: string,
  signal: AbortSignal,
): Promise<'succeeded' | 'cancelled' | 'failed' | 'unknown'> {
  try {
    await vc.waitForTask({ type: 'Task', value: task }, 'relocation of an instant recovery’s disks', { signal });
    return 'succeeded';
  } catch (err) {
    if (err instanceof VimTaskError) return err.faultName === 'RequestCanceled' ? 'cancelled' : 'failed';
    if (isVimFault(err, 'ManagedObjectNotFound')) return 'unknown';
    throw err;
  }
}
