/**
 * Hook sets: named lists of pre- and post-snapshot scripts that the server's configuration
 * declares (config.ts validates them) and a protection policy picks by name. Which commands exist
 * is decided only by whoever controls the server's files (lifeline.json); the API can merely
 * choose among the names, so a user with Lifeline's Admin privilege cannot make the server run a
 * command of their own.
 *
 * A script is a command (absolute path, run without a shell), its arguments and a timeout. It gets
 * no environment of its own from the configuration: only PATH and the LIFELINE_* variables that
 * describe the job (script-hooks.ts), so no secret ever sits in lifeline.json; a script that needs
 * credentials reads them from a file it owns.
 */
import type { HookScript, HookSet } from '../config/index.js';
import { LifelineError } from '../errors/index.js';
import { noHooks, type BackupHooks } from './backup-hooks.js';
import { ScriptHooks, runHookScript } from './script-hooks.js';

/** How long a script that ignores SIGTERM at its timeout gets before SIGKILL (the script runner's default). */
const KILL_GRACE_MS = 2000;

/** A policy names a hook set the server's configuration no longer declares. */
export class HookSetMissingError extends LifelineError {
  constructor(hookSet: string, policy: { id: string; name: string }) {
    super(
      'hook-set-missing',
      `policy "${policy.name}" runs the hook set "${hookSet}", which this Lifeline server's configuration (hookSets in lifeline.json) does not declare; the backup was not started so that no snapshot is taken without its scripts. Restore the hook set in the configuration, or choose another (or none) in the policy`,
      { hookSet, policyId: policy.id },
    );
  }
}

/** The hooks of a set: its scripts run on the Lifeline server. */
export function hooksOfSet(set: HookSet): BackupHooks {
  if (set.pre.length === 0 && set.post.length === 0) return noHooks;
  const spec = (s: HookScript) => ({ command: s.command, args: [...s.args], timeoutMs: s.timeoutSeconds * 1000, killGraceMs: KILL_GRACE_MS });
  return new ScriptHooks({ pre: set.pre.map(spec), post: set.post.map(spec) });
}

/** The point hook of the configuration as the script runner takes it. */
export function scriptSpecOf(s: HookScript): { command: string; args: string[]; timeoutMs: number; killGraceMs: number } {
  return { command: s.command, args: [...s.args], timeoutMs: s.timeoutSeconds * 1000, killGraceMs: KILL_GRACE_MS };
}

/**
 * The deadline a backup needs for one phase (pre or post) of any of these sets: every script
 * running to its own timeout plus its kill grace, with a margin. The backup's hook deadline must
 * not cut a set short before the scripts' own timeouts would have.
 */
export function hookPhaseTimeoutMs(sets: Iterable<HookSet>): number {
  let longest = 0;
  const phase = (scripts: readonly HookScript[]) => scripts.reduce((ms, s) => ms + s.timeoutSeconds * 1000 + KILL_GRACE_MS, 0);
  for (const set of sets) longest = Math.max(longest, phase(set.pre), phase(set.post));
  return longest + 10_000;
}

/**
 * Runs the post scripts of a set in order, all of them even when one fails (as after a snapshot),
 * with these LIFELINE_* variables: what a recovery plan does once a failed-over VM is up. Never
 * rejects for a script's failure; the outcome says how each went.
 */
export async function runPostScripts(set: HookSet, env: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; messages: string[] }> {
  const messages: string[] = [];
  let ok = true;
  for (const s of set.post) {
    const r = await runHookScript(scriptSpecOf(s), env, signal);
    ok &&= r.ok;
    messages.push(r.message);
  }
  return { ok, messages: messages.length > 0 ? messages : [`hook set ${set.name} has no post scripts`] };
}
