/**
 * Runs one pre- or post-backup script (a database flush, a service pause) with a hard timeout.
 *
 * A hook that hangs must never hold a VM's snapshot hostage, so the runner starts the script in its
 * own process group and, on timeout or abort, kills the whole group (children included), first with
 * SIGTERM and then SIGKILL after a grace period. Output is captured up to a bound so a chatty script
 * cannot exhaust memory; what is cut is counted, not silently dropped.
 *
 * Signalling may be refused (EPERM: the script ran something as another user, e.g. through sudo).
 * That is never thrown from a timer, where it would end the whole process: the runner then signals
 * the script itself, and if that is refused too it stops waiting, reports the script as timed out
 * and says in its stderr that it may still run.
 */
import { spawn } from 'node:child_process';

export interface ScriptSpec {
  /** Executable to run (absolute path or a name on PATH). Never run through a shell. */
  command: string;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  timeoutMs: number;
  /** How long to wait after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /** Bytes of stdout and of stderr kept each; the rest is counted in `truncatedBytes`. */
  maxOutputBytes?: number;
}

export interface ScriptResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncatedBytes: number;
  durationMs: number;
}

/**
 * The agent runs inside guests and ships on its own, so it carries its own small error type with a
 * stable code instead of importing the server's.
 */
export class ScriptError extends Error {
  constructor(readonly code: 'script-failed' | 'script-timeout' | 'script-start', message: string, readonly result?: ScriptResult) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** Runs the script and resolves with what happened; it rejects only when the script cannot start. */
/** Sends a signal to a process group; the system's kill(2) unless a test stands in for it. */
export type GroupSignaller = (pgid: number, sig: NodeJS.Signals) => void;
const signalGroup: GroupSignaller = (pgid, sig) => process.kill(-pgid, sig);

export function runScript(
  spec: ScriptSpec,
  signal?: AbortSignal,
  now: () => number = () => performance.now(),
  killGroupOf: GroupSignaller = signalGroup,
): Promise<ScriptResult> {
  const maxOut = spec.maxOutputBytes ?? 64 * 1024;
  const grace = spec.killGraceMs ?? 2000;
  const started = now();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ScriptError('script-start', `script ${spec.command} not started: cancelled`));
      return;
    }
    const child = spawn(spec.command, [...(spec.args ?? [])], {
      cwd: spec.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...spec.env },
      detached: true, // own process group, so the timeout can kill grandchildren too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let truncated = 0;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;

    const keep = (chunks: Buffer[], len: number, data: Buffer): number => {
      const room = Math.max(0, maxOut - len);
      if (data.length > room) truncated += data.length - room;
      if (room > 0) chunks.push(data.subarray(0, room));
      return len + Math.min(room, data.length);
    };
    child.stdout.on('data', (d: Buffer) => { outLen = keep(out, outLen, d); });
    child.stderr.on('data', (d: Buffer) => { errLen = keep(err, errLen, d); });

    let settled = false;
    let refused: string | null = null;
    /** Signals the group, else the script itself; true when either took the signal (or is gone already). */
    const killGroup = (sig: NodeJS.Signals): boolean => {
      if (child.pid === undefined) return true;
      try {
        killGroupOf(child.pid, sig);
        return true;
      } catch (e) {
        // ESRCH: the group is already gone, which is what we want.
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') return true;
        refused = code ?? String(e);
      }
      try {
        return child.kill(sig);
      } catch {
        return false;
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => {
        if (!killGroup('SIGKILL') && !settled) giveUp();
      }, grace);
    };
    const timer = setTimeout(() => { timedOut = true; stop(); }, spec.timeoutMs);
    const onAbort = () => stop();
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new ScriptError('script-start', `script ${spec.command} could not start: ${e.message}`));
    });
    /** The script cannot be signalled: stop waiting for it rather than hold the caller forever. */
    const giveUp = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      resolve({
        exitCode: null,
        signal: null,
        timedOut: true,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: `${Buffer.concat(err).toString('utf8')}\nLifeline could not stop the script (${refused ?? 'refused'}); it may still be running as process ${child.pid ?? '?'}`,
        truncatedBytes: truncated,
        durationMs: Math.round(now() - started),
      });
    };
    child.on('close', (exitCode, sig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      // The script's own children may still hold the group; make sure none survive it.
      if (timedOut || signal?.aborted) killGroup('SIGKILL');
      resolve({
        exitCode,
        signal: sig,
        timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncatedBytes: truncated,
        durationMs: Math.round(now() - started),
      });
    });
  });
}

/** Runs the script and throws a ScriptError unless it exits 0 in time. */
export async function runScriptOrThrow(spec: ScriptSpec, signal?: AbortSignal): Promise<ScriptResult> {
  const r = await runScript(spec, signal);
  if (r.timedOut) {
    throw new ScriptError('script-timeout', `script ${spec.command} did not finish within ${spec.timeoutMs} ms and was stopped`, r);
  }
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    throw new ScriptError('script-failed', `script ${spec.command} ${how}${tail ? `: ${tail}` : ''}`, r);
  }
  return r;
}
