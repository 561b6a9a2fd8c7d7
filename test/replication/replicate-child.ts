/**
 * A replication run in a process of its own, for the crash spec: replicates one restore point
 * from site A to site B (sites.ts) and prints "ack <chunk id>" for every chunk B acknowledged.
 * After `stopAfter` acknowledgements it forwards no more chunks and waits, so that the parent can
 * kill it with SIGKILL in the middle of the replication.
 *
 * Usage: node replicate-child.js <root> <point id> <stopAfter>
 */
import { replicatePoint, type ReplicaReceiver } from '../../plugin-server/src/replication/index.js';
import { linkTo, openSiteA, openSiteB } from './sites.js';

const [root, pointId, stopAfterText] = process.argv.slice(2);
if (!root || !pointId || !stopAfterText) {
  process.stderr.write('usage: replicate-child <root> <point id> <stopAfter>\n');
  process.exit(2);
}
const stopAfter = Number(stopAfterText);
const a = await openSiteA(root);
const b = await openSiteB(root);
const link = linkTo(b);
let acked = 0;
const halting: ReplicaReceiver = {
  offer: (offer, signal) => link.offer(offer, signal),
  putChunk: async (session, hex, stored, signal) => {
    if (acked >= stopAfter) {
      // An interval keeps the process alive: a bare pending promise would let it exit.
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    }
    await link.putChunk(session, hex, stored, signal);
    acked++;
    process.stdout.write(`ack ${hex}\n`);
  },
  commit: (session, signal) => link.commit(session, signal),
};
await replicatePoint(a, pointId, halting, { signal: new AbortController().signal });
process.stdout.write('committed\n');
await a.close();
await b.close();
