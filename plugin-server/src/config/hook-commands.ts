import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CONFIG_FILE_NAME, ConfigError, type Config } from './config.js';

/**
 * Whether a hook command may be run as the Lifeline server: an executable file that only root or
 * the server's own user owns and may change, in directories that only they may change (a directory
 * others may write to lets them replace the file; a sticky directory owned by root, such as /tmp,
 * does not, since others cannot rename or remove what they do not own). Anyone who could change
 * the script could run code as the Lifeline server around every backup of the policies using it.
 * Returns what is wrong, or null. Checked at start-up and again before each run: files change.
 */
export async function hookCommandProblem(command: string): Promise<string | null> {
  let info;
  try {
    info = await stat(command);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${command} does not exist` : `cannot read ${command}: ${code ?? (err as Error).message}`;
  }
  if (!info.isFile()) return `${command} is not a file`;
  try {
    await access(command, constants.X_OK);
  } catch {
    return `${command} is not executable by the Lifeline server's user (chmod +x it)`;
  }
  if ((info.mode & 0o002) !== 0) return `${command} is writable by every user; make it writable only by its owner (chmod o-w)`;
  if ((info.mode & 0o020) !== 0) return `${command} is writable by its group; make it writable only by its owner (chmod g-w)`;
  const me = process.getuid?.() ?? 0;
  if (info.uid !== 0 && info.uid !== me) return `${command} is owned by user ${info.uid}, neither root nor the Lifeline server's user (${me}); chown it`;
  for (let dir = dirname(command); ; dir = dirname(dir)) {
    let d;
    try {
      d = await stat(dir);
    } catch (err) {
      return `cannot read the directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    const sticky = (d.mode & 0o1000) !== 0;
    if (d.uid !== 0 && d.uid !== me) return `the directory ${dir} of ${command} is owned by user ${d.uid}, neither root nor the Lifeline server's user; whoever owns it can replace the script`;
    if ((d.mode & 0o022) !== 0 && !(sticky && d.uid === 0)) {
      return `the directory ${dir} of ${command} is writable by ${(d.mode & 0o002) !== 0 ? 'every user' : 'its group'}, who could replace the script; chmod go-w ${dir}`;
    }
    if (dirname(dir) === dir) return null;
  }
}

/** Checks, at start-up, every hook script's command (see hookCommandProblem); the error names the exact setting. */
export async function checkHookCommands(config: Pick<Config, 'configFile' | 'hookSets'> & Partial<Pick<Config, 'pointHook'>>): Promise<void> {
  const fileName = config.configFile ?? CONFIG_FILE_NAME;
  if (config.pointHook) {
    const problem = await hookCommandProblem(config.pointHook.command);
    if (problem !== null) throw new ConfigError(`${fileName}: pointHook.command`, problem);
  }
  for (const set of config.hookSets.values()) {
    for (const phase of ['pre', 'post'] as const) {
      for (const [i, script] of set[phase].entries()) {
        const problem = await hookCommandProblem(script.command);
        if (problem !== null) throw new ConfigError(`${fileName}: hookSets.${set.name}.${phase}[${i}].command`, problem);
      }
    }
  }
}
