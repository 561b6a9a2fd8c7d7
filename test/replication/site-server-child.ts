/**
 * Site B's site listener in a process of its own, for the crash spec: serves the replication
 * routes over B's replicas (link-sites.ts) on 127.0.0.1:<port>, prints "listening <port>" once it
 * listens and "ack <chunk id>" after each chunk it stored, so that the parent can kill it with
 * SIGKILL in the middle of a replication, and its replicas' debug log as "log <json>" lines (the
 * replication benchmark reads each point's phases at this end from them).
 *
 * Usage: node site-server-child.js <root> <site A thumbprint> <port>
 */
import { createLogger } from '../../plugin-server/src/log/logger.js';
import { siteIdentity, startSiteListener } from './site-link.js';
import { identityDirB, replicaSitesB } from './link-sites.js';
import type { PeerIdentity } from '../../plugin-server/src/replication/index.js';

const [root, thumbprintA, portText] = process.argv.slice(2);
if (!root || !thumbprintA || !portText) {
  process.stderr.write('usage: site-server-child <root> <site A thumbprint> <port>\n');
  process.exit(2);
}
const idB = await siteIdentity(identityDirB(root), 'site B');
const peerA: PeerIdentity = { id: 'site-a', name: 'site A', thumbprint: thumbprintA };
// Each committed point's phases at this end (receiver.ts, debug level) as "log <json>" lines.
const sites = replicaSitesB(root, idB, peerA, undefined, createLogger({ level: 'debug', write: (line) => process.stdout.write(`log ${line}`) }));
const listener = await startSiteListener({
  identity: idB,
  peers: () => [peerA],
  port: Number(portText),
  receiverFor: (p) => {
    const r = sites.receiverFor(p);
    return {
      ...r,
      putChunk: async (session, hex, stored, signal) => {
        await r.putChunk(session, hex, stored, signal);
        process.stdout.write(`ack ${hex}\n`);
      },
    };
  },
});
process.stdout.write(`listening ${new URL(listener.url).port}\n`);
