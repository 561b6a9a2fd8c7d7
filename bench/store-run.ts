/**
 * The Lifeline side of the store benchmark, run as a child process so that its wall time and
 * peak memory are those of a whole process, like restic's and borg's:
 *
 *   node build/bench/store-run.js ingest <repo> <image>
 *   node build/bench/store-run.js restore <repo> <point> <out>
 *
 * It does what `lifeline repo ingest/restore` do, through the same store API, without the
 * command line's start-up of the server's other modules. The passphrase comes from
 * LIFELINE_PASSPHRASE. The last line is JSON: the point id and the process's peak RSS.
 */
import {
  FileDiskReader,
  FileDiskWriter,
  PointWriter,
  Repository,
  restoreDisk,
} from '../plugin-server/src/store/index.js';

async function main(argv: string[]): Promise<void> {
  const [cmd, repoDir, a, b] = argv;
  const signal = new AbortController().signal;
  if (!repoDir || !a) throw new Error('usage: store-run ingest <repo> <image> | restore <repo> <point> <out>');
  const repo = await Repository.open(repoDir, { passphrase: process.env['LIFELINE_PASSPHRASE'] }, signal);
  let pointId = '';
  try {
    if (cmd === 'ingest') {
      const reader = await FileDiskReader.open(a);
      try {
        const w = await PointWriter.begin(repo, { vm: { id: 'bench', name: 'bench' }, consistency: 'crash' }, signal);
        await w.ingestDisk({ disk: 0, capacity: reader.capacity, reader }, signal);
        pointId = (await w.commit(signal)).id;
      } finally {
        await reader.close();
      }
    } else if (cmd === 'restore' && b) {
      pointId = a;
      const index = await repo.openIndex(a, 0, signal);
      const writer = await FileDiskWriter.create(b, index.capacity);
      try {
        await restoreDisk({ index, source: repo.chunks(), writer, signal, zeroSlots: 'skip' });
      } finally {
        await writer.close(false);
      }
    } else {
      throw new Error(`unknown command ${String(cmd)}`);
    }
  } finally {
    await repo.close();
  }
  process.stdout.write(`${JSON.stringify({ pointId, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`store-run: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
