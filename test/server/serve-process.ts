/**
 * `lifeline serve` in a process of its own, started as an administrator's shell starts it:
 * bin/lifeline.js run itself (so the node options of its first line apply), with this node first
 * on PATH and none of this process's LIFELINE_* or NODE_* variables besides the ones given. Its
 * memory is read from /proc/<pid>/status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const LIFELINE_BIN = fileURLToPath(new URL('../../../bin/lifeline.js', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly thumbprint: string;
  /** Log lines (stderr) containing this text so far. */
  count(text: string): number;
  /** The message of the first log line containing this text, or undefined. */
  message(text: string): string | undefined;
  /** The last 20 log lines. */
  tail(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `lifeline serve --data-dir <dataDir>` with `env` and waits until it says where it
 * listens. The log is read as it comes (a full pipe would stall the server) and only counted:
 * `watch` names the texts to count and the messages to keep.
 */
export async function startServeProcess(dataDir: string, env: Record<string, string>, watch: readonly string[] = []): Promise<ServeProcess> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIFELINE_') && !k.startsWith('NODE_')));
  const path = `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`;
  const child = spawn(LIFELINE_BIN, ['serve', '--data-dir', dataDir], { env: { ...base, PATH: path, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (!child.pid || !child.stdout || !child.stderr) throw new Error('lifeline serve did not start');
  const counts = new Map<string, number>();
  const messages = new Map<string, string>();
  const last: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    for (const w of watch) {
      if (!line.includes(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      if (!messages.has(w)) messages.set(w, messageOf(line));
    }
    last.push(line);
    if (last.length > 20) last.shift();
  });
  const tail = () => last.join('\n');
  let url = '';
  let thumbprint = '';
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`lifeline serve exited (${String(code)}) before it listened:\n${tail()}`);
  });
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      url ||= /listening on (\S+)/.exec(line)?.[1] ?? '';
      thumbprint ||= /thumbprint: (\S+)/.exec(line)?.[1] ?? '';
      if (url && thumbprint) return;
    }
  })();
  try {
    await Promise.race([listening, exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  exited.catch(() => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(timer);
  };
  return { child, pid: child.pid, url, thumbprint, count: (t) => counts.get(t) ?? 0, message: (t) => messages.get(t), tail, stop };
}

function messageOf(line: string): string {
  try {
    return (JSON.parse(line) as { msg?: string }).msg ?? line;
  } catch {
    return line;
  }
}

/** A process's memory in MiB from /proc/<pid>/status: resident set, its peak, its anonymous part, and its threads. */
export interface ProcMemory {
  rss: number;
  hwm: number;
  anon: number;
  threads: number;
}

export async function procMemory(pid: number): Promise<ProcMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
    if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]);
  };
  return { rss: field('VmRSS') / 1024, hwm: field('VmHWM') / 1024, anon: field('RssAnon') / 1024, threads: field('Threads') };
}

/** CPU time the process has used so far, in seconds (user and system, from /proc/<pid>/stat). */
export async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/${pid}/stat has no CPU times`);
  return ticks / CLOCK_TICKS;
}

/** Linux's USER_HZ: the unit of /proc's CPU times on every architecture. */
const CLOCK_TICKS = 100;

/** The bound in MiB from the server's "memory bound: RSS at most N MiB (…)" log message. */
export function boundOf(message: string | undefined): number {
  const m = /RSS at most (\d+) MiB/.exec(message ?? '');
  if (!m?.[1]) throw new Error(`no memory bound in ${String(message)}`);
  return Number(m[1]);
}
