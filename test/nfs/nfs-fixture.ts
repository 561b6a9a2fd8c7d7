/**
 * What the NFS suites share: a repository with one restore point of the export suites' standard
 * image (every kind of slot), its publications and an NFS server on loopback, and Debian's libnfs
 * tools (nfs-ls, nfs-cp from libnfs-utils) and qemu-img (its nfs driver from qemu-block-extra) as
 * the clients.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { NfsServer, Publications, type ChunkCacheOptions } from '../../plugin-server/src/nfs/index.js';
import type { Repository } from '../../plugin-server/src/store/index.js';

const run = promisify(execFile);

export interface Served {
  readonly publications: Publications;
  readonly server: NfsServer;
  /** `nfs://127.0.0.1<path>?nfsport=…&mountport=…`: libnfs told the ports, no portmapper asked. */
  url(path: string): string;
  stop(): Promise<void>;
}

export async function serve(
  repository: Repository,
  dataDir: string,
  opts: { clients?: string[]; portmapperPort?: number; cache?: ChunkCacheOptions; logs?: string[] } = {},
): Promise<Served> {
  const log = createLogger({ level: 'debug', write: (line) => void opts.logs?.push(line) });
  const publications = await Publications.open({ dataDir, repository, ...(opts.cache ? { cache: opts.cache } : {}) });
  const server = await NfsServer.start({
    publications,
    host: '127.0.0.1',
    port: 0,
    portmapperPort: opts.portmapperPort ?? null,
    clients: opts.clients ?? ['127.0.0.1'],
    log,
  });
  return {
    publications,
    server,
    url: (path) => `nfs://127.0.0.1${path}?nfsport=${server.port}&mountport=${server.port}`,
    stop: async () => {
      await server.close();
      await publications.close();
    },
  };
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client tool; a failure is a result with its exit code, not an exception. */
export async function tool(cmd: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}
