// Starts a real Lifeline server for a suite: loopback, a port of the system's choosing, a fresh
// data directory, and every log line captured so specs can inspect what was written.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, type Config } from '../../plugin-server/src/config/index.js';
import { createLogger, type Logger } from '../../plugin-server/src/log/index.js';
import { startLifelineServer, type LifelineServer, type LifelineServerDeps } from '../../plugin-server/src/server/lifeline-server.js';
import type { SessionCloner, UserSession } from '../../plugin-server/src/api/auth/ports.js';
import type { VmInventory } from '../../plugin-server/src/api/routes/vms.js';

export interface CapturedLog {
  readonly lines: string[];
  readonly log: Logger;
  /** Every captured line parsed. */
  records(): Array<Record<string, unknown>>;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  return { lines, log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export async function tempDir(prefix = 'lifeline-server-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A configuration for tests: loopback, any free ports (API and site listener), the given data dir and environment. */
/** A configuration for a test server; `file` stands for the content of `<dataDir>/lifeline.json`. */
export function testConfig(dataDir: string, env: Record<string, string> = {}, file?: unknown): Config {
  return buildConfig({
    cwd: dataDir,
    flags: { dataDir },
    env: { LIFELINE_PORT: '0', LIFELINE_SITE_PORT: '0', LIFELINE_SHUTDOWN_TIMEOUT_SECONDS: '5', ...env },
    ...(file === undefined ? {} : { file, filePath: join(dataDir, 'lifeline.json') }),
  });
}

/** A cloner for servers that have no vCenter: reaching it is a bug in the test. */
export const noVcenter: SessionCloner<UserSession & VmInventory> = {
  clone: () => Promise.reject(new Error('this server has no vCenter')),
  validate: () => Promise.reject(new Error('this server has no vCenter')),
};

export async function startTestServer<S extends UserSession & VmInventory>(
  config: Config,
  log: Logger,
  cloner: SessionCloner<S>,
  extra: Omit<Partial<LifelineServerDeps<S>>, 'config' | 'log' | 'cloner'> = {},
): Promise<LifelineServer> {
  return startLifelineServer({ ...extra, config, log, cloner });
}
