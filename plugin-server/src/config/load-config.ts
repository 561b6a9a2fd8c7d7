import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { buildConfig, ConfigError, CONFIG_FILE_NAME, DEFAULT_DATA_DIR, type Config, type ConfigFlags } from './config.js';
import { checkHookCommands } from './hook-commands.js';

export interface LoadConfigOptions {
  readonly flags?: ConfigFlags;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

/**
 * Finds and reads the configuration file, then builds the configuration. The file named by
 * --config or LIFELINE_CONFIG must exist; without either, `<data dir>/lifeline.json` is used when
 * present, so a data directory carries its own configuration. The hook scripts it names must exist
 * and be executable now, not at the first backup that needs them.
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const flags = opts.flags ?? {};
  const explicit = flags.config
    ? { field: '--config', path: resolve(cwd, flags.config) }
    : env['LIFELINE_CONFIG']?.trim()
      ? { field: 'LIFELINE_CONFIG', path: resolve(cwd, env['LIFELINE_CONFIG'].trim()) }
      : null;
  const dataDir = flags.dataDir ?? (env['LIFELINE_DATA_DIR']?.trim() || DEFAULT_DATA_DIR);
  const candidate = explicit?.path ?? resolve(cwd, dataDir, CONFIG_FILE_NAME);

  let text: string | null = null;
  try {
    text = await readFile(candidate, { encoding: 'utf8', signal: opts.signal });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicit) {
      throw new ConfigError(explicit?.field ?? candidate, `cannot read ${candidate}: ${code ?? (err as Error).message}`);
    }
  }
  let file: unknown;
  if (text !== null) {
    try {
      file = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(candidate, `not valid JSON: ${(err as Error).message}`);
    }
  }
  const config = buildConfig({ file, filePath: text === null ? null : candidate, env, flags, cwd, hostname: hostname() });
  await checkHookCommands(config);
  return config;
}
