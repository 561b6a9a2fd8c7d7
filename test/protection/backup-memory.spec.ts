/**
 * Memory of the backup path: 50 full backups in a row of a VM whose 64 MiB disk holds 32 MiB of
 * guest data (half random, half text), each after 4 MiB of the disk were rewritten, through the
 * whole pipeline against the simulator, in a child process run with --expose-gc so that each
 * sample (after every backup) counts what the pipeline holds, not garbage not yet collected.
 * The bounds: after the first few backups (the pools and the codec threads warm up), the heap
 * grows by less than 8 MiB over the remaining backups and the process's RSS stays below 256 MiB
 * (about 220 MiB measured) while the backups read 50 × 31 MiB; with a buffer pool per backup
 * instead of the shared ingest buffers it rose about 32 MiB per backup, past 600 MiB.
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { createRepository, PASSPHRASE } from '../export/export-fixture.js';
import { rewrite, type MemoryChildConfig, type MemorySample } from './backup-memory-child.js';

const MiB = 1024 * 1024;
const DISK_MIB = 64;
const BACKUPS = 50;
const WARM_UP = 5;
export const HEAP_GROWTH_BOUND_MIB = 8;
export const RSS_BOUND_MIB = 256;

describe('memory of the backup path', () => {
  let sim: Vcsim;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-memory-'));
    // No change tracking: every backup reads the whole disk.
    sim = await startVcsim({ vms: 1, disks: 1, diskSize: `${DISK_MIB}MiB`, cbt: false, poweredOff: true, datastoreDir: dir });
    const vm = sim.vms[0];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator made no VM disk');
    const random = Buffer.allocUnsafe(16 * MiB);
    randomFillSync(random);
    const text = Buffer.from('Lifeline keeps every protected VM within its RPO. '.repeat(Math.ceil((16 * MiB) / 52))).subarray(0, 16 * MiB);
    await sim.writeDisk(vm.moref, disk.key, 0, random);
    await sim.writeDisk(vm.moref, disk.key, 16 * MiB, text);
  }, 360_000);

  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps heap and RSS bounded over ${BACKUPS} full backups in a row`, async () => {
    const vm = sim.vms[0];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator made no VM disk');
    const repoDir = join(dir, 'repo');
    await createRepository(repoDir);
    const cfg: MemoryChildConfig = {
      url: sim.url,
      thumbprint: sim.thumbprint,
      user: sim.username,
      password: sim.password,
      instanceUuid: sim.instanceUuid,
      vm: vm.moref,
      deviceKey: disk.key,
      repoDir,
      passphrase: PASSPHRASE,
      backups: BACKUPS,
      rewriteMiB: 4,
    };
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL('./backup-memory-child.js', import.meta.url)), JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const samples = await new Promise<MemorySample[]>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, nl)) as { rewrite?: number; samples?: MemorySample[] };
          buffered = buffered.slice(nl + 1);
          if (line.rewrite !== undefined) {
            rewrite(sim, vm.moref, disk.key, line.rewrite, cfg.rewriteMiB, DISK_MIB).then(() => child.stdin.write('go\n'), reject);
          } else if (line.samples) resolve(line.samples);
        }
      });
      child.on('exit', (code) => reject(new Error(`the backup child ended (${String(code)}) without its samples: ${stderr}`)));
    });
    if (process.env['LIFELINE_MEMORY_TRACE']) process.stderr.write(`${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
    expect(samples.length).toBe(BACKUPS + 1);
    // Every backup read all the disk's data (its allocated areas).
    expect(samples.slice(1).every((s) => s.bytesRead >= 30 * MiB)).toBeTrue();
    const warm = samples[WARM_UP] as MemorySample;
    const after = samples.slice(WARM_UP);
    const heapGrowth = Math.max(...after.map((s) => s.heapUsedMiB)) - warm.heapUsedMiB;
    const rssMax = Math.max(...samples.map((s) => s.rssMiB));
    expect(heapGrowth).withContext(`heap ${warm.heapUsedMiB} MiB after ${WARM_UP} backups, then up to ${warm.heapUsedMiB + heapGrowth} MiB`).toBeLessThan(HEAP_GROWTH_BOUND_MIB);
    expect(rssMax).withContext(`RSS samples: ${samples.map((s) => s.rssMiB).join(' ')}`).toBeLessThan(RSS_BOUND_MIB);
  }, 600_000);
});
