import { mkdtempSync, writeFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript, runScriptOrThrow, ScriptError } from './script-runner.js';

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** True while the process runs; a zombie (killed, waiting to be reaped by init) does not count. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('runScript', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-agent-'));
  });

  it('returns the exit code and output of a script that finishes', async () => {
    const p = script(dir, 'ok.sh', 'echo flushed; echo warn >&2; exit 0');
    const r = await runScriptOrThrow({ command: p, timeoutMs: 5000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('flushed\n');
    expect(r.stderr).toBe('warn\n');
    expect(r.timedOut).toBeFalse();
  });

  it('reports a failing script with its code and the tail of its stderr', async () => {
    const p = script(dir, 'fail.sh', 'echo "database locked" >&2; exit 3');
    await expectAsync(runScriptOrThrow({ command: p, timeoutMs: 5000 })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'script-failed', message: jasmine.stringMatching(/exited with code 3: database locked/) }),
    );
  });

  it('kills a hanging script and its children at the timeout', async () => {
    const pidFile = join(dir, 'child.pid');
    // The grandchild would outlive a plain kill of the script; the group kill must reach it.
    const p = script(dir, 'hang.sh', `sleep 60 & echo $! > ${pidFile}; wait`);
    let caught: unknown;
    try {
      await runScriptOrThrow({ command: p, timeoutMs: 300, killGraceMs: 200 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ScriptError);
    expect((caught as ScriptError).code).toBe('script-timeout');
    expect(existsSync(pidFile)).toBeTrue();
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBeFalse();
  });

  it('survives a process group it may not signal (EPERM, as for a script run through sudo): no throw from a timer, the caller is answered', async () => {
    // Stand-in for kill(2) refusing: tests run as root here, to whom no signal is refused.
    const refuse = (): void => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    };
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => {
      uncaught.push(e);
    };
    process.on('uncaughtException', onUncaught);
    try {
      // The script itself still takes the signal: stopped all the same.
      const p = script(dir, 'stubborn.sh', 'exec sleep 60');
      const r = await runScript({ command: p, timeoutMs: 100, killGraceMs: 100 }, undefined, undefined, refuse);
      expect(r.timedOut).toBeTrue();
      expect(r.signal).toBe('SIGTERM');
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('stops a script when the caller aborts', async () => {
    const p = script(dir, 'long.sh', 'sleep 60');
    const ac = new AbortController();
    const pending = runScript({ command: p, timeoutMs: 60_000, killGraceMs: 100 }, ac.signal);
    setTimeout(() => ac.abort(), 100);
    const r = await pending;
    expect(r.signal).toBe('SIGTERM');
    expect(r.timedOut).toBeFalse();
  });

  it('bounds captured output and counts what it cut', async () => {
    const p = script(dir, 'chatty.sh', 'head -c 100000 /dev/zero | tr "\\0" x');
    const r = await runScript({ command: p, timeoutMs: 5000, maxOutputBytes: 1000 });
    expect(r.stdout.length).toBe(1000);
    expect(r.truncatedBytes).toBe(99000);
  });

  it('rejects a script that does not exist with a start error', async () => {
    await expectAsync(runScript({ command: join(dir, 'missing.sh'), timeoutMs: 1000 })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'script-start' }),
    );
  });
});
