/**
 * The NFS server as `lifeline serve` runs it: publications opened from the data directory, the
 * server listening where the configuration says. Built here, started by the composition root.
 */
import type { NfsConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Repository } from '../store/index.js';
import { NfsServer } from './nfs-server.js';
import { Publications } from './publications.js';

export interface NfsService {
  readonly publications: Publications;
  readonly server: NfsServer;
  stop(): Promise<void>;
}

export interface NfsServiceOptions {
  readonly config: NfsConfig;
  readonly dataDir: string;
  readonly repository: Repository;
  /** Marks a published point as being read, so that maintenance leaves its chunks alone. */
  readonly hold: (pointId: string) => () => void;
  readonly log: Logger;
}

export async function startNfsService(opts: NfsServiceOptions): Promise<NfsService> {
  const { config } = opts;
  const publications = await Publications.open({
    dataDir: opts.dataDir,
    repository: opts.repository,
    hold: opts.hold,
    cache: { chunks: config.cacheChunks, readAhead: config.readAheadChunks },
  });
  let server: NfsServer;
  try {
    server = await NfsServer.start({
      publications,
      host: config.host,
      port: config.port,
      portmapperPort: config.portmapperPort,
      clients: config.clients,
      exportPath: config.exportPath,
      log: opts.log,
    });
  } catch (err) {
    await publications.close();
    throw err;
  }
  return {
    publications,
    server,
    stop: async () => {
      await server.close();
      await publications.close();
    },
  };
}
