/**
 * Who holds a lock file, a temporary file or a writer registration: a process id plus, on Linux,
 * the process's start time, so that a recycled process id is not mistaken for the long-gone
 * owner. Only processes on this host can be judged; the repository is not shared between hosts
 * through a local filesystem.
 */
import { readFileSync } from 'node:fs';

function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

let self: string | undefined;

/** "pid" or "pid:starttime" for the calling process. */
export function processIdentity(): string {
  if (self === undefined) {
    const ticks = startTicks(process.pid);
    self = ticks === undefined ? String(process.pid) : `${process.pid}:${ticks}`;
  }
  return self;
}

/** Whether the process named by an identity from processIdentity() still runs on this host. */
export function identityAlive(identity: string): boolean {
  const [pidText, ticks] = identity.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM')) return false;
  }
  if (ticks === undefined) return true;
  const now = startTicks(pid);
  return now === undefined || now === ticks;
}
