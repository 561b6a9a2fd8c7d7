/**
 * `npm run bench -- scale`: many VMs at a short RPO on one server, in bounded memory.
 *
 * The vCenter simulator with 100 VMs on one datastore, each with one 64 MiB disk holding 32 MiB of
 * guest data (16 MiB random, 16 MiB text), written through the simulator as a guest writes. One
 * Lifeline server (the same composition as `lifeline serve`: job runner, scheduler, backup pipeline
 * into an encrypted store, HTTPS API) with the default job limits, one policy with a 60 s RPO
 * assigned to every VM over the API, then 12 minutes of watching: every 5 s `GET /compliance` and
 * the process's RSS. Between minutes 4 and 8, 10 % of the VMs change 1 MiB of their disk every 20 s.
 *
 * Figures: `compliant_min_pct` is the lowest share of VMs within their RPO (status not `violated`)
 * in any sample after the first minute (the first backups of 100 VMs take that long);
 * `failed_jobs` the backup jobs that failed; `rss_max_MiB` the highest RSS of this process, which
 * is the server plus this benchmark's small API client (the simulator is a process of its own),
 * and what writing the guest data through the harness left behind (printed as the RSS before the
 * first backup).
 * Also printed: the strictly `compliant` share, queued jobs seen, backups done, RPO warnings logged.
 *
 * Flags: --minutes N (default 12; the change phase keeps its place, from a third to two thirds of
 * the run), --vms N (default 100), --rpo S (default 60). The machine may be shared: the load
 * average at the start and the end is printed, and skews every figure but the memory.
 *
 * Environment: LIFELINE_BENCH_DIR keeps the work directory elsewhere than the system temp dir.
 */
import { randomFillSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSPHRASE_FILE } from '../plugin-server/src/server/backup-services.js';
import { createRepository, PASSPHRASE } from '../test/export/export-fixture.js';
import { startVcenterServer, type VcenterServer } from '../test/server/vcenter-server-fixture.js';

const MiB = 1024 * 1024;
const DISK_MIB = 64;
const SAMPLE_MS = 5000;
const CHANGE_EVERY_MS = 20_000;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

interface ComplianceItem {
  status: 'compliant' | 'at-risk' | 'violated';
}

async function main(): Promise<void> {
  const minutes = flag('minutes', 12);
  const vms = Math.round(flag('vms', 100));
  const rpo = Math.round(flag('rpo', 60));
  const runMs = minutes * 60_000;
  const load0 = loadavg()[0] ?? 0;
  process.stderr.write(`scale: ${vms} VMs, RPO ${rpo} s, ${minutes} min; load average ${load0.toFixed(1)}\n`);

  const random = Buffer.allocUnsafe(16 * MiB);
  const text = Buffer.from('Lifeline keeps every protected VM within its RPO; the quick brown fox jumps over the lazy dog. '.repeat(Math.ceil((16 * MiB) / 90))).subarray(0, 16 * MiB);
  let fx: VcenterServer | undefined;
  try {
    fx = await startVcenterServer({
      sim: { vms, disks: 1, diskSize: `${DISK_MIB}MiB`, cbt: true, poweredOff: true, ...(process.env['LIFELINE_BENCH_DIR'] ? { datastoreDir: process.env['LIFELINE_BENCH_DIR'] } : {}) },
      dataDirPrefix: 'lifeline-bench-scale-',
      backup: { passphrase: PASSPHRASE },
      prepare: async (vc, dataDir) => {
        process.stderr.write(`writing 32 MiB of guest data into each of ${vms} disks\n`);
        for (const vm of vc.vms) {
          const disk = vm.disks[0];
          if (!disk) throw new Error(`VM ${vm.moref} has no disk`);
          randomFillSync(random);
          await vc.writeDisk(vm.moref, disk.key, 0, random);
          await vc.writeDisk(vm.moref, disk.key, 16 * MiB, text);
        }
        await createRepository(join(dataDir, 'store'));
        await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
      },
    });
    const server = fx;
    const token = await server.login();
    const created = await server.call(token, 'POST', '/policies', { name: 'One minute', rpoSeconds: rpo, retention: { keepLast: 5 } });
    if (created.status !== 201) throw new Error(`policy not created: ${created.status} ${created.text}`);
    const policyId = created.json()['id'];
    // Writing 3.2 GiB of guest data through the harness' HTTPS client leaves its mark on this
    // process's RSS before the server has backed up anything: said, so the maximum can be read against it.
    const rssBefore = process.memoryUsage().rss / MiB;
    const t0 = Date.now();
    for (let i = 0; i < vms; i++) {
      const r = await server.call(token, 'PUT', `/vms/${encodeURIComponent(server.urn(i))}/protection`, { policyId });
      if (r.status !== 201) throw new Error(`VM ${i} not protected: ${r.status} ${r.text}`);
    }

    // The changing VMs: 10 %, 1 MiB each every 20 s, between a third and two thirds of the run.
    const changing = server.vc.vms.slice(0, Math.max(1, Math.round(vms / 10)));
    let changes = 0;
    let stopChanges = false;
    const changer = (async () => {
      const buf = Buffer.allocUnsafe(MiB);
      await sleep(Math.max(0, t0 + runMs / 3 - Date.now()));
      while (!stopChanges && Date.now() - t0 < (2 * runMs) / 3) {
        for (const vm of changing) {
          const disk = vm.disks[0];
          if (!disk) continue;
          randomFillSync(buf);
          await server.vc.writeDisk(vm.moref, disk.key, ((changes % 24) + 8) * MiB, buf);
        }
        changes++;
        await sleep(CHANGE_EVERY_MS);
      }
    })();

    let compliantMin = 100;
    let strictMin = 100;
    let rssMax = 0;
    let queuedMax = 0;
    let warnings = 0;
    for (let next = t0 + SAMPLE_MS; next - t0 <= runMs; next += SAMPLE_MS) {
      await sleep(Math.max(0, next - Date.now()));
      const items = (await server.call(token, 'GET', '/compliance?limit=1000')).json<{ items: ComplianceItem[] }>().items;
      const queued = (await server.call(token, 'GET', '/jobs?state=queued&kind=backup&limit=1')).json<{ total: number }>().total;
      const rss = process.memoryUsage().rss / MiB;
      rssMax = Math.max(rssMax, rss);
      queuedMax = Math.max(queuedMax, queued);
      // The captured server log is counted and dropped as it goes, so that it does not count as the server's memory.
      const lines = server.captured.lines.splice(0);
      warnings += lines.filter((l) => l.includes('out of RPO compliance')).length;
      const within = items.filter((c) => c.status !== 'violated').length;
      const strict = items.filter((c) => c.status === 'compliant').length;
      const pct = items.length ? (100 * within) / items.length : 0;
      const elapsed = (next - t0) / 1000;
      if (elapsed > 60) {
        compliantMin = Math.min(compliantMin, pct);
        strictMin = Math.min(strictMin, items.length ? (100 * strict) / items.length : 0);
      }
      if (elapsed % 30 === 0) {
        process.stderr.write(`t=${elapsed}s within RPO ${within}/${items.length}, compliant ${strict}, queued ${queued}, RSS ${rss.toFixed(0)} MiB\n`);
      }
    }
    stopChanges = true;
    await changer;

    const failed = (await server.call(token, 'GET', '/jobs?state=failed&kind=backup&limit=1')).json<{ total: number }>().total;
    const succeeded = (await server.call(token, 'GET', '/jobs?state=succeeded&kind=backup&limit=1')).json<{ total: number }>().total;
    const load1 = loadavg()[0] ?? 0;
    const r1 = (n: number) => Math.round(n * 10) / 10;
    process.stdout.write(
      `${vms} VMs at a ${rpo} s RPO for ${minutes} min: ${succeeded} backups, ${failed} failed; within RPO in every sample after the first minute: ≥ ${r1(compliantMin)} % ` +
        `(strictly compliant ≥ ${r1(strictMin)} %); up to ${queuedMax} backups queued; ${warnings} RPO warnings; ${changes} change rounds of ${changing.length} VMs; ` +
        `RSS at most ${r1(rssMax)} MiB (${r1(rssBefore)} MiB before the first backup); load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores)\n`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'scale', vms, rpo_s: rpo, compliant_min_pct: r1(compliantMin), failed_jobs: failed, rss_max_MiB: r1(rssMax) })}\n`);
  } finally {
    await fx?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
