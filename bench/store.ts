/**
 * The store benchmark: `npm run bench -- store`.
 *
 * Builds a 2 GiB disk image (store-image.ts), warms the page cache with it, then runs, alternating,
 * three times each: a Lifeline ingest into a fresh encrypted repository, `restic backup` into a
 * fresh repository, and `borg create` with fixed 4 MiB chunks and zstd level 1 into a fresh
 * repokey repository. Then Lifeline re-ingests of the unchanged image and restores, each restored
 * file's SHA-256 checked against the image's (three of each too, as this machine's speed varies).
 * Every timed run is a whole process, started with its input read into the page cache again
 * (the image; for restores the repository) (borg evicts what it reads) and after `sync`, so none
 * pays for the previous one's write-back. MB/s = image bytes / wall seconds, median of the runs. Stored sizes are apparent
 * sizes (sum of file lengths), since each tool's files round differently to disk blocks.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory (and the image) between runs;
 * LIFELINE_BENCH_MIB makes a smaller image for a quick look.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initRepository } from '../plugin-server/src/store/index.js';
import { buildImage } from './store-image.js';

const MiB = 1024 * 1024;
const PASSPHRASE = 'lifeline benchmark passphrase';
const RUNS = 3;
const IMAGE_VERSION = 'modulo-pool-v1';

interface Timed {
  seconds: number;
  /** User + system CPU seconds of the process and its threads (and any children it waited for). */
  cpuSeconds: number;
  peakKiB: number;
  stdout: string;
}

/** bash's `times` prints the shell's, then its children's, user and system times: "0m1.234s 0m0.567s". */
const CPU_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/**
 * Runs a process to completion under bash, whose `times` reports the CPU it used; peak memory from
 * /proc while it runs (VmHWM of the process itself, exec'd by bash), or its own report.
 */
function timed(cmd: string, args: string[], env: Record<string, string>): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const script = '"$@"; s=$?; times >&2; exit $s';
    const child = spawn('bash', ['-c', script, 'bash', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKiB = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The measured process is bash's child.
    const pid = child.pid ?? 0;
    const poll = setInterval(() => {
      void readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .then((c) => readFile(`/proc/${c.trim().split(' ')[0] ?? ''}/status`, 'utf8'))
        .then(
          (s) => {
            const m = /VmHWM:\s+(\d+) kB/.exec(s);
            if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
          },
          () => undefined,
        );
    }, 25);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const seconds = (performance.now() - t0) / 1000;
      const lines = stderr.trimEnd().split('\n');
      const m = CPU_LINE.exec(lines[lines.length - 1] ?? '');
      const cpuSeconds = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${lines.slice(0, -2).join('\n').trim()}`));
      else resolve({ seconds, cpuSeconds, peakKiB, stdout });
    });
  });
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString().trim()}`);
}

function sync(): void {
  spawnSync('sync');
}

/**
 * Reads the image through the page cache so that every timed run starts warm, as the benchmark
 * promises: borg drops the files it reads from the cache (posix_fadvise DONTNEED), which left the
 * run after each borg run reading the image from disk.
 */
function warm(image: string): void {
  const r = spawnSync('cat', [image], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`cannot read ${image}: ${r.stderr.toString().trim()}`);
}

/** Reads every file under `dir` (a restore's input: the repository) into the page cache. */
function warmTree(dir: string): void {
  const r = spawnSync('find', [dir, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`cannot read ${dir}: ${r.stderr.toString().trim()}`);
}

/** Before every timed run: the image in the page cache, everything earlier written out. */
function settle(image: string): void {
  warm(image);
  sync();
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 * MiB);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Sum of file sizes under a directory (apparent size, as every tool's block rounding differs). */
async function treeBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const round = (x: number, d = 0) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

async function main(): Promise<void> {
  const sizeMiB = Number(process.env['LIFELINE_BENCH_MIB'] ?? 2048);
  const keep = process.env['LIFELINE_BENCH_DIR'];
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'lifeline-bench-')));
  await mkdir(work, { recursive: true });
  const runner = fileURLToPath(new URL('./store-run.js', import.meta.url));
  try {
    const image = join(work, 'image.raw');
    const stamp = join(work, 'image.version');
    const wanted = `${IMAGE_VERSION} ${sizeMiB}`;
    if ((await readFile(stamp, 'utf8').catch(() => '')) !== wanted) {
      process.stderr.write(`building a ${sizeMiB} MiB image in ${work}...\n`);
      await buildImage(image, sizeMiB, 'modulo');
      await writeFile(stamp, wanted);
    }
    const bytes = sizeMiB * MiB;
    const imageSha = await sha256(image); // also warms the page cache
    const tools = { restic: have('restic'), borg: have('borg') };
    const env = { LIFELINE_PASSPHRASE: PASSPHRASE, RESTIC_PASSWORD: PASSPHRASE, BORG_PASSPHRASE: PASSPHRASE };
    // Lifeline runs as its command line does (bin/lifeline.js sizes libuv's thread pool so).
    const lenv = { ...env, UV_THREADPOOL_SIZE: '16' };
    const times: Record<'lifeline' | 'restic' | 'borg', number[]> = { lifeline: [], restic: [], borg: [] };
    // restic draws a new chunker polynomial for every repository, so what it deduplicates of the
    // image (and its stored size) differs from run to run: the median of the runs is reported.
    const resticSizes: number[] = [];
    const cpu: Record<'lifeline' | 'restic' | 'borg' | 'reingest' | 'restore', number[]> = { lifeline: [], restic: [], borg: [], reingest: [], restore: [] };
    let peakKiB = 0;
    const lrepo = join(work, 'lifeline-repo');
    const rrepo = join(work, 'restic-repo');
    const brepo = join(work, 'borg-repo');

    for (let i = 0; i < RUNS; i++) {
      await rm(lrepo, { recursive: true, force: true });
      await initRepository(lrepo, { encrypt: true, passphrase: PASSPHRASE }, new AbortController().signal);
      settle(image);
      const l = await timed(process.execPath, [runner, 'ingest', lrepo, image], lenv);
      times.lifeline.push(l.seconds);
      cpu.lifeline.push(l.cpuSeconds);
      peakKiB = Math.max(peakKiB, l.peakKiB, (JSON.parse(l.stdout.trim().split('\n').pop() ?? '{}') as { maxRssKiB?: number }).maxRssKiB ?? 0);
      process.stderr.write(`run ${i + 1}: lifeline ${(bytes / l.seconds / 1e6).toFixed(0)} MB/s`);
      if (tools.restic) {
        await rm(rrepo, { recursive: true, force: true });
        run('restic', ['init', '--repo', rrepo, '-q'], env);
        settle(image);
        const r = await timed('restic', ['backup', '--repo', rrepo, '-q', image], env);
        times.restic.push(r.seconds);
        cpu.restic.push(r.cpuSeconds);
        resticSizes.push((await treeBytes(rrepo)) / MiB);
        process.stderr.write(`, restic ${(bytes / r.seconds / 1e6).toFixed(0)} MB/s (${(r.peakKiB / 1024).toFixed(0)} MiB)`);
      }
      if (tools.borg) {
        await rm(brepo, { recursive: true, force: true });
        run('borg', ['init', '-e', 'repokey', brepo], env);
        settle(image);
        const b = await timed('borg', ['create', '--chunker-params', 'fixed,4194304', '--compression', 'zstd,1', `${brepo}::bench`, image], env);
        times.borg.push(b.seconds);
        cpu.borg.push(b.cpuSeconds);
        process.stderr.write(`, borg ${(bytes / b.seconds / 1e6).toFixed(0)} MB/s (${(b.peakKiB / 1024).toFixed(0)} MiB)`);
      }
      process.stderr.write('\n');
    }

    // Re-ingest of the unchanged image into the last repository, then restores of that point.
    const reTimes: number[] = [];
    const restoreTimes: number[] = [];
    let point = '';
    for (let i = 0; i < RUNS; i++) {
      settle(image);
      const re = await timed(process.execPath, [runner, 'ingest', lrepo, image], lenv);
      reTimes.push(re.seconds);
      cpu.reingest.push(re.cpuSeconds);
      peakKiB = Math.max(peakKiB, re.peakKiB);
      point = (JSON.parse(re.stdout.trim().split('\n').pop() ?? '{}') as { pointId?: string }).pointId ?? '';
    }
    const out = join(work, 'restored.raw');
    for (let i = 0; i < RUNS; i++) {
      await rm(out, { force: true });
      // The repository's chunks were written with direct I/O, so the first restore would read
      // them from the disk and the others from the cache: each run starts with them cached.
      warmTree(lrepo);
      sync();
      const rs = await timed(process.execPath, [runner, 'restore', lrepo, point, out], lenv);
      restoreTimes.push(rs.seconds);
      cpu.restore.push(rs.cpuSeconds);
      peakKiB = Math.max(peakKiB, rs.peakKiB, (JSON.parse(rs.stdout.trim().split('\n').pop() ?? '{}') as { maxRssKiB?: number }).maxRssKiB ?? 0);
      const restoredSha = await sha256(out);
      if (restoredSha !== imageSha) throw new Error(`restored image differs: ${restoredSha} != ${imageSha}`);
    }
    await rm(out, { force: true });
    process.stderr.write(`re-ingest ${reTimes.map((t) => (bytes / t / 1e6).toFixed(0)).join(', ')} MB/s; restore ${restoreTimes.map((t) => (bytes / t / 1e6).toFixed(0)).join(', ')} MB/s\n`);

    const repoMiB = (await treeBytes(lrepo)) / MiB;
    const resticMiB = resticSizes.length > 0 ? median(resticSizes) : NaN;
    const mbps = (s: number[]) => (s.length ? bytes / median(s) / 1e6 : NaN);
    const lifeline = mbps(times.lifeline);
    const restic = mbps(times.restic);
    const borg = mbps(times.borg);
    const result = {
      bench: 'store',
      image_MiB: sizeMiB,
      lifeline_MBps: round(lifeline),
      restic_MBps: round(restic),
      borg_MBps: round(borg),
      ratio_vs_restic: round(lifeline / restic, 2),
      ratio_vs_borg: round(lifeline / borg, 2),
      reingest_MBps: round(mbps(reTimes)),
      restore_MBps: round(mbps(restoreTimes)),
      repo_MiB: round(repoMiB, 1),
      restic_repo_MiB: round(resticMiB, 1),
      peak_rss_MiB: round(peakKiB / 1024),
    };
    process.stdout.write(`image: ${sizeMiB} MiB, sha256 ${imageSha.slice(0, 16)}…; restore verified byte for byte\n`);
    process.stdout.write(`ingest (median of ${RUNS}): lifeline ${result.lifeline_MBps} MB/s, restic ${result.restic_MBps} MB/s, borg ${result.borg_MBps} MB/s\n`);
    process.stdout.write(`re-ingest unchanged ${result.reingest_MBps} MB/s, restore ${result.restore_MBps} MB/s (median of ${RUNS}), peak RSS ${result.peak_rss_MiB} MiB\n`);
    process.stdout.write(`stored: lifeline ${result.repo_MiB} MiB, restic ${result.restic_repo_MiB} MiB (median; runs ${resticSizes.map((x) => x.toFixed(1)).join(', ')} MiB)\n`);
    // CPU per run (user + system, all threads; median): what each tool spends on the same bytes.
    const cpuLine = (Object.keys(cpu) as Array<keyof typeof cpu>)
      .filter((k) => cpu[k].length > 0)
      .map((k) => `${k} ${median(cpu[k]).toFixed(1)} s`)
      .join(', ');
    process.stdout.write(`CPU seconds per run (median): ${cpuLine}\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (!keep) await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench store: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
