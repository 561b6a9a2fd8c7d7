import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { CONFIG_FILE_NAME, ConfigError, type Config } from './config.js';

/**
 * Checks, at start-up, that every hook script's command is an executable file that only its owner
 * and group may change: a script anyone can write would let anyone run code as the Lifeline server
 * around every backup of the policies using it. The error names the exact setting.
 */
export async function checkHookCommands(config: Pick<Config, 'configFile' | 'hookSets'>): Promise<void> {
  const fileName = config.configFile ?? CONFIG_FILE_NAME;
  for (const set of config.hookSets.values()) {
    for (const phase of ['pre', 'post'] as const) {
      for (const [i, script] of set[phase].entries()) {
        const field = `${fileName}: hookSets.${set.name}.${phase}[${i}].command`;
        let info;
        try {
          info = await stat(script.command);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new ConfigError(field, code === 'ENOENT' ? `${script.command} does not exist` : `cannot read ${script.command}: ${code ?? (err as Error).message}`);
        }
        if (!info.isFile()) throw new ConfigError(field, `${script.command} is not a file`);
        try {
          await access(script.command, constants.X_OK);
        } catch {
          throw new ConfigError(field, `${script.command} is not executable by the Lifeline server's user (chmod +x it)`);
        }
        if ((info.mode & 0o002) !== 0) {
          throw new ConfigError(field, `${script.command} is writable by every user; make it writable only by its owner (chmod o-w)`);
        }
      }
    }
  }
}
