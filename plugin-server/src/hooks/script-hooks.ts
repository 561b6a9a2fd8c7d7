/**
 * Backup hooks as scripts run on the Lifeline server (the agent's script runner: own process
 * group, hard timeout, bounded output). Each script gets the job and VM in its environment:
 * LIFELINE_HOOK (pre-snapshot | post-snapshot), LIFELINE_JOB_ID, LIFELINE_VCENTER, LIFELINE_VM,
 * LIFELINE_VM_NAME, LIFELINE_CONSISTENCY, and for post-snapshot LIFELINE_SNAPSHOT_TAKEN (true |
 * false). Pre-snapshot scripts stop at the first failure; post-snapshot scripts all run, because
 * each may thaw something of its own, and the failures are reported together. Before each run the
 * command is checked again as at start-up (owner, modes, directories): one that fails is not run.
 */
import { runScript, type ScriptSpec } from '../../../agent/src/index.js';
import { isAbsolute } from 'node:path';
import { hookCommandProblem } from '../config/hook-commands.js';
import { HookError, type BackupHooks, type HookReport, type HookTarget, type PostSnapshotOutcome } from './backup-hooks.js';

export interface ScriptHooksConfig {
  readonly pre: readonly ScriptSpec[];
  readonly post: readonly ScriptSpec[];
}

function baseEnv(hook: string, t: HookTarget): Record<string, string> {
  return {
    LIFELINE_HOOK: hook,
    LIFELINE_JOB_ID: t.jobId,
    LIFELINE_VCENTER: t.vcenterGuid,
    LIFELINE_VM: t.moref,
    LIFELINE_VM_NAME: t.name,
    LIFELINE_CONSISTENCY: t.consistency,
  };
}

/** Runs one script on the Lifeline server with these LIFELINE_* variables (the point hook). */
export function runHookScript(spec: ScriptSpec, env: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; message: string; timedOut: boolean }> {
  return runOne(spec, env, signal);
}

async function runOne(spec: ScriptSpec, env: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; message: string; timedOut: boolean }> {
  // Checked again now, not only at start-up: the file or a directory above it may have changed.
  // Hook sets name absolute paths (the configuration admits nothing else); a bare name is looked up
  // on PATH by the runner, as the agent runs its own scripts.
  const problem = isAbsolute(spec.command) ? await hookCommandProblem(spec.command) : null;
  if (problem !== null) return { ok: false, timedOut: false, message: `${spec.command} was not run: ${problem}` };
  let r;
  try {
    r = await runScript({ ...spec, env: { ...spec.env, ...env } }, signal);
  } catch (err) {
    return { ok: false, timedOut: false, message: err instanceof Error ? err.message : String(err) };
  }
  const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
  if (r.timedOut) return { ok: false, timedOut: true, message: `${spec.command} did not finish within ${spec.timeoutMs} ms and was stopped` };
  if (signal.aborted) return { ok: false, timedOut: false, message: `${spec.command} was stopped: the backup was cancelled` };
  if (r.exitCode !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    return { ok: false, timedOut: false, message: `${spec.command} ${how}${tail ? `: ${tail}` : ''}` };
  }
  return { ok: true, timedOut: false, message: `${spec.command} succeeded in ${r.durationMs} ms` };
}

export class ScriptHooks implements BackupHooks {
  constructor(private readonly config: ScriptHooksConfig) {}

  async preSnapshot(target: HookTarget, signal: AbortSignal): Promise<HookReport> {
    const messages: string[] = [];
    for (const spec of this.config.pre) {
      const r = await runOne(spec, baseEnv('pre-snapshot', target), signal);
      if (!r.ok) {
        throw new HookError(r.timedOut ? 'hook-timeout' : 'hook-failed', `pre-snapshot script ${r.message}`, { hook: 'pre-snapshot', command: spec.command });
      }
      messages.push(`pre-snapshot script ${r.message}`);
    }
    return { ran: this.config.pre.length, messages };
  }

  async postSnapshot(target: HookTarget, outcome: PostSnapshotOutcome, signal: AbortSignal): Promise<HookReport> {
    const messages: string[] = [];
    const failures: string[] = [];
    let timedOut = false;
    const env = { ...baseEnv('post-snapshot', target), LIFELINE_SNAPSHOT_TAKEN: String(outcome.snapshotTaken) };
    for (const spec of this.config.post) {
      const r = await runOne(spec, env, signal);
      (r.ok ? messages : failures).push(`post-snapshot script ${r.message}`);
      timedOut ||= r.timedOut;
    }
    if (failures.length > 0) throw new HookError(timedOut ? 'hook-timeout' : 'hook-failed', failures.join('; '), { hook: 'post-snapshot', failures });
    return { ran: this.config.post.length, messages };
  }
}
