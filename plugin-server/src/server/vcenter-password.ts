// The password of a configured vCenter's service account, read from its file whenever a login
// needs it (so a rotated password needs no restart), and checked once at start-up.
import { readFile, stat } from 'node:fs/promises';
import { ConfigError, type Config, type VcenterConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';

/**
 * Reads a vCenter service user's password from its file: the whole file, less one trailing
 * newline (editors add one). The password is returned, never logged.
 */
export async function readVcenterPassword(vc: VcenterConfig, signal?: AbortSignal): Promise<string> {
  const field = `vcenters.${vc.guid}.passwordFile`;
  let text: string;
  try {
    text = await readFile(vc.passwordFile, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new ConfigError(field, `cannot read ${vc.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(field, `${vc.passwordFile} is empty`);
  return password;
}

/**
 * Checks at start-up that every configured password file can be read, so a mistake shows now
 * rather than at the first backup, and warns about files others may read.
 */
export async function checkPasswordFiles(config: Pick<Config, 'vcenters'>, log: Logger, signal?: AbortSignal): Promise<void> {
  for (const vc of config.vcenters.values()) {
    await readVcenterPassword(vc, signal);
    const mode = (await stat(vc.passwordFile)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      log.warn('vCenter password file is readable by other users; chmod 600 it', {
        vcenter: vc.guid,
        file: vc.passwordFile,
        mode: mode.toString(8),
      });
    }
  }
}
