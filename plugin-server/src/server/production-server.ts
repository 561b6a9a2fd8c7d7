/**
 * The server as `lifeline serve` runs it: the configured vCenters' password files checked first,
 * the backup pipeline opened on the configured store, users' sessions cloned on the real vCenters,
 * and one stop that ends the server and then the backup pipeline it was given.
 */
import { getHeapStatistics } from 'node:v8';
import type { Config } from '../config/index.js';
import { systemClock } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { describeMemoryBudget, memoryBudget } from '../protection/index.js';
import { openBackupServices } from './backup-services.js';
import { startLifelineServer, type LifelineServer } from './lifeline-server.js';
import { createVcenterCloner } from './vcenter-cloner.js';
import { checkPasswordFiles } from './vcenter-password.js';

export async function startProductionServer(config: Config, log: Logger): Promise<LifelineServer> {
  await checkPasswordFiles(config, log);
  const lifetime = new AbortController();
  const backup = await openBackupServices({ config, log, clock: systemClock, env: process.env }, lifetime.signal);
  let server: LifelineServer;
  try {
    server = await startLifelineServer({ config, log, cloner: createVcenterCloner({ log }), backup });
  } catch (err) {
    lifetime.abort();
    await backup.close();
    throw err;
  }
  // The resident set this process stays under, from the limits it runs with (README, "memory").
  const { repository } = backup;
  log.info(describeMemoryBudget(memoryBudget({ heapLimitBytes: getHeapStatistics().heap_size_limit, codecThreads: repository.codecThreads, chunkSize: repository.config.chunkSize })));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await server.stop();
      } finally {
        // The server owns none of the backup pipeline: it is closed once the server has stopped.
        lifetime.abort();
        await backup.close();
      }
    })();
    return stopping;
  };
  return { ...server, stop };
}
