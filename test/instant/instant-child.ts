/**
 * Test-only entry: a Lifeline server reduced to its NFS server and, optionally, one instant revert.
 * It opens the repository and the publications in the data directory, serves NFS on `host:port`
 * (portmapper on 111), and with `revert` runs an instant revert of `vm` to `pointId` through the
 * vCenter; then it prints {"port": N} and serves until it is killed.
 *
 * Argument: a JSON object { url, thumbprint, user, password, repoDir, dataDir, host, port, vcenterGuid, vm, pointId, revert, datastoreName }.
 */
import { InstantStore, runInstantRevert } from '../../plugin-server/src/instant/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { NfsServer, Publications } from '../../plugin-server/src/nfs/index.js';
import { Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter } from '../../plugin-server/src/vsphere/index.js';

interface ChildConfig {
  url: string;
  thumbprint: string;
  user: string;
  password: string;
  repoDir: string;
  dataDir: string;
  host: string;
  port: number;
  vcenterGuid: string;
  vm: string;
  pointId: string;
  revert: boolean;
  datastoreName: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const never = new AbortController().signal;
const repo = await Repository.open(cfg.repoDir, { codecThreads: 2 }, never);
const publications = await Publications.open({ dataDir: cfg.dataDir, repository: repo });
const server = await NfsServer.start({
  publications,
  host: cfg.host,
  port: cfg.port,
  portmapperPort: 111,
  clients: ['127.0.0.1', cfg.host],
  log: createLogger({ level: 'error', write: (l) => process.stderr.write(l + '\n') }),
});
if (cfg.revert) {
  const vc = await connectVcenter({ url: cfg.url, thumbprint: cfg.thumbprint, user: cfg.user, password: cfg.password, keepAliveMs: 0 });
  await runInstantRevert(
    {
      vcenter: vc,
      publications,
      repository: repo,
      export: { datastoreName: cfg.datastoreName, remoteHost: cfg.host, remotePath: '/lifeline' },
      store: await InstantStore.open(cfg.dataDir),
    },
    { vm: { vcenterGuid: cfg.vcenterGuid, moref: cfg.vm }, pointId: cfg.pointId, powerOff: true },
    { signal: AbortSignal.timeout(120_000), log: (m) => process.stderr.write(m + '\n') },
  );
  vc.close();
}
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');
