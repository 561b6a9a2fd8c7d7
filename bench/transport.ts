/**
 * `npm run bench -- transport`: how fast Lifeline reads a VM disk through vCenter's datastore
 * HTTP access, next to curl reading the same byte ranges over the same session.
 *
 * A simulated VM gets 1 GiB of random data in its disk; then the whole disk is read in 4 MiB
 * ranges (the backup chunk size) by the adapter's ranged reads and by one curl process that fetches
 * the same ranges one after another on one kept-alive connection. The two alternate, three rounds
 * each, so both see the same page cache and machine load; the ratio is the median of the rounds'
 * ratios, which a busy machine disturbs less than a ratio of medians. Figures printed per round are
 * MiB per second; the JSON summary on the last line gives MB per second (10^6 bytes), like every
 * Lifeline benchmark's MBps fields.
 */
import { randomFillSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVcsim } from '../test/vcsim/harness.js';
import { connectVcenter, datastoreFileUrl, type DatastoreFile, type Vcenter } from '../plugin-server/src/vsphere/index.js';

const MIB = 1024 * 1024;
const DISK_MIB = 1024;
const RANGE = 4 * MIB;
const ROUNDS = 3;
/** Ranges in flight in the parallel variant, as a backup reading one disk would use. */
const PARALLEL = 4;

function fillDisk(path: string): void {
  const fd = openSync(path, 'r+');
  const block = Buffer.allocUnsafe(16 * MIB);
  try {
    for (let off = 0; off < DISK_MIB * MIB; off += block.length) {
      randomFillSync(block);
      writeSync(fd, block, 0, block.length, off);
    }
  } finally {
    closeSync(fd);
  }
}

async function readWithLifeline(vc: Vcenter, file: DatastoreFile, parallel: number): Promise<number> {
  const total = DISK_MIB * MIB;
  const buffers = Array.from({ length: parallel }, () => Buffer.allocUnsafe(RANGE));
  let next = 0;
  let bytes = 0;
  const worker = async (buf: Buffer): Promise<void> => {
    for (;;) {
      const offset = next;
      if (offset >= total) return;
      next += RANGE;
      const n = await vc.readRangeInto(file, offset, buf);
      bytes += n;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(buffers.map(worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (bytes !== total) throw new Error(`read ${bytes} bytes, expected ${total}`);
  return DISK_MIB / seconds;
}

function readWithCurl(configFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('curl', ['--silent', '--show-error', '--fail', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(DISK_MIB / seconds);
      else reject(new Error(`curl exited with ${code}: ${err}`));
    });
  });
}

/** One curl operation per range (`next` between them), all on the connection curl keeps open. */
function curlConfig(url: string, cookie: string, caFile: string): string {
  const lines: string[] = [];
  for (let off = 0; off < DISK_MIB * MIB; off += RANGE) {
    if (off > 0) lines.push('next');
    lines.push(`url = "${url}"`, `range = "${off}-${off + RANGE - 1}"`, 'output = "/dev/null"', `cookie = "${cookie}"`, `cacert = "${caFile}"`);
  }
  return lines.join('\n') + '\n';
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lifeline-bench-transport-'));
  const sim = await startVcsim({ vms: 1, disks: 1, diskSize: `${DISK_MIB}MiB`, poweredOff: true, datastoreDir: work });
  try {
    const disk = sim.vms[0]?.disks[0];
    const vmInfo = sim.vms[0];
    if (!disk || !vmInfo) throw new Error('the simulator made no VM disk');
    process.stderr.write(`writing ${DISK_MIB} MiB of random data into ${disk.flatFile}\n`);
    fillDisk(disk.path);

    const vc = await connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
    const file: DatastoreFile = { datacenterPath: vmInfo.datacenter, datastorePath: disk.flatFile };
    const cookie = vc.session.transport.cookie;
    if (cookie === undefined) throw new Error('no session cookie after login');
    const caFile = join(work, 'vcenter.pem');
    writeFileSync(caFile, sim.certificate);
    const configFile = join(work, 'curl.config');
    writeFileSync(configFile, curlConfig(datastoreFileUrl(vc.session.origin, file), cookie, caFile));

    // One untimed pass each, so the page cache holds the disk and TLS connections exist.
    await readWithLifeline(vc, file, 1);
    await readWithCurl(configFile);

    const lifeline: number[] = [];
    const curl: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const l = await readWithLifeline(vc, file, 1);
      const c = await readWithCurl(configFile);
      lifeline.push(l);
      curl.push(c);
      ratios.push(l / c);
      process.stdout.write(`round ${round}: lifeline ${round1(l)} MiB/s, curl ${round1(c)} MiB/s, ratio ${(l / c).toFixed(2)}\n`);
    }
    const parallel: number[] = [];
    for (let i = 0; i < 3; i++) parallel.push(await readWithLifeline(vc, file, PARALLEL));
    await vc.logout();

    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const l = median(lifeline);
    const c = median(curl);
    process.stdout.write(
      `median of ${ROUNDS} rounds, ${DISK_MIB} MiB in ${RANGE / MIB} MiB ranges, one at a time: lifeline ${round1(l)} MiB/s, curl ${round1(c)} MiB/s, ratio ${median(ratios).toFixed(2)}\n` +
        `lifeline with ${PARALLEL} ranges in flight: ${round1(median(parallel))} MiB/s\n`,
    );
    process.stdout.write(
      JSON.stringify({ bench: 'transport', MiB: DISK_MIB, lifeline_MBps: round1(l * MIB / 1e6), curl_MBps: round1(c * MIB / 1e6), ratio: Math.round(median(ratios) * 100) / 100 }) + '\n',
    );
  } finally {
    await sim.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench transport: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
