/**
 * Runs the compiled `lifeline` command as a child process, the way an administrator does.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LIFELINE_BIN = fileURLToPath(new URL('../../../bin/lifeline.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function lifeline(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [LIFELINE_BIN, ...args],
      { env: { ...process.env, LIFELINE_PASSPHRASE: '', ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(err);
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

export function spawnLifeline(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [LIFELINE_BIN, ...args], { env: { ...process.env, LIFELINE_PASSPHRASE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}
