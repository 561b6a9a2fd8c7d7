/**
 * `npm run bench -- scale`: many VMs at a short RPO on one server, in bounded memory.
 *
 * The vCenter simulator with 100 VMs on one datastore, each with one 64 MiB disk holding 32 MiB of
 * guest data (16 MiB random, 16 MiB text), written through the simulator as a guest writes. One
 * Lifeline server run as an administrator runs it: `lifeline serve` in a process of its own
 * (test/server/serve-process.ts), on a data directory holding an encrypted store and its
 * passphrase file, configured for the simulator through the `LIFELINE_VCENTER_*` variables, with
 * the default job limits and log level. One policy
 * with a 60 s RPO is assigned to every VM over the API, then 12 minutes of watching: every 5 s
 * `GET /compliance`, `GET /jobs` and the server process's memory. Between minutes 4 and 8, 10 % of
 * the VMs change 1 MiB of their disk every 20 s.
 *
 * Figures: `compliant_min_pct` is the lowest share of VMs within their RPO (status not `violated`)
 * in any sample after the first minute (the first backups of 100 VMs take that long);
 * `failed_jobs` the backup jobs that failed; `rss_max_MiB` the server process's peak resident set
 * (VmHWM of /proc/<pid>/status, read at the end, so that a peak between two samples counts too).
 * The server's memory only: the benchmark and the simulator are processes of their own.
 * Also printed: the memory bound the server logged at its start, the strictly `compliant` share,
 * queued jobs seen, backups done, RPO warnings the server logged, and the RSS curve (VmRSS, its
 * anonymous part and the peak so far, every 30 s).
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
import { httpsCall, type HttpsReply } from '../test/server/https-client.js';
import { procCpuSeconds, procMemory, startServeProcess, type ServeProcess } from '../test/server/serve-process.js';
import { removeDir, tempDir } from '../test/server/server-fixture.js';
import { startVcsim, type Vcsim } from '../test/vcsim/harness.js';

const MiB = 1024 * 1024;
const DISK_MIB = 64;
const SAMPLE_MS = 5000;
const CHANGE_EVERY_MS = 20_000;
const RPO_WARNING = 'out of RPO compliance';
const BOUND = 'memory bound:';

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
  const workDir = process.env['LIFELINE_BENCH_DIR'];
  let vc: Vcsim | undefined;
  let served: ServeProcess | undefined;
  let dataDir: string | undefined;
  try {
    vc = await startVcsim({ vms, disks: 1, diskSize: `${DISK_MIB}MiB`, cbt: true, poweredOff: true, ...(workDir ? { datastoreDir: workDir } : {}) });
    const sim = vc;
    dataDir = await tempDir('lifeline-bench-scale-');
    process.stderr.write(`writing 32 MiB of guest data into each of ${vms} disks\n`);
    for (const vm of sim.vms) {
      const disk = vm.disks[0];
      if (!disk) throw new Error(`VM ${vm.moref} has no disk`);
      randomFillSync(random);
      await sim.writeDisk(vm.moref, disk.key, 0, random);
      await sim.writeDisk(vm.moref, disk.key, 16 * MiB, text);
    }
    await createRepository(join(dataDir, 'store'));
    await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, sim.password, { mode: 0o600 });

    served = await startServeProcess(dataDir, {
      LIFELINE_HOST: '127.0.0.1',
      LIFELINE_PORT: '0',
      LIFELINE_SITE_PORT: '0',
      LIFELINE_VCENTER_GUID: sim.instanceUuid,
      LIFELINE_VCENTER_URL: sim.url,
      LIFELINE_VCENTER_THUMBPRINT: sim.thumbprint,
      LIFELINE_VCENTER_USER: sim.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    }, [RPO_WARNING, BOUND]);
    const server = served;
    const token = await sim.soapLogin();
    const call = (method: string, path: string, body?: unknown): Promise<HttpsReply> =>
      httpsCall(`${server.url}/api/v1${path}`, {
        method,
        thumbprint: server.thumbprint,
        headers: { 'vmware-api-session-id': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const urn = (i: number) => `urn:vmomi:VirtualMachine:${sim.vms[i]?.moref ?? ''}:${sim.instanceUuid}`;

    const created = await call('POST', '/policies', { name: 'One minute', rpoSeconds: rpo, retention: { keepLast: 5 } });
    if (created.status !== 201) throw new Error(`policy not created: ${created.status} ${created.text}`);
    const policyId = created.json()['id'];
    const idle = await procMemory(server.pid);
    process.stderr.write(`server ${server.message(BOUND) ?? 'logged no memory bound'}\n`);
    process.stderr.write(`server pid ${server.pid}: RSS ${idle.rss.toFixed(0)} MiB before the first backup (${idle.anon.toFixed(0)} MiB anonymous, ${idle.threads} threads)\n`);
    const cpu0 = await procCpuSeconds(server.pid);
    const t0 = Date.now();
    for (let i = 0; i < vms; i++) {
      const r = await call('PUT', `/vms/${encodeURIComponent(urn(i))}/protection`, { policyId });
      if (r.status !== 201) throw new Error(`VM ${i} not protected: ${r.status} ${r.text}`);
    }

    // The changing VMs: 10 %, 1 MiB each every 20 s, between a third and two thirds of the run.
    const changing = sim.vms.slice(0, Math.max(1, Math.round(vms / 10)));
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
          await sim.writeDisk(vm.moref, disk.key, ((changes % 24) + 8) * MiB, buf);
        }
        changes++;
        await sleep(CHANGE_EVERY_MS);
      }
    })();

    let compliantMin = 100;
    let strictMin = 100;
    let queuedMax = 0;
    const firstMinute: number[] = [];
    const later: number[] = [];
    for (let next = t0 + SAMPLE_MS; next - t0 <= runMs; next += SAMPLE_MS) {
      await sleep(Math.max(0, next - Date.now()));
      const items = (await call('GET', '/compliance?limit=1000')).json<{ items: ComplianceItem[] }>().items;
      const queued = (await call('GET', '/jobs?state=queued&kind=backup&limit=1')).json<{ total: number }>().total;
      const mem = await procMemory(server.pid);
      queuedMax = Math.max(queuedMax, queued);
      const within = items.filter((c) => c.status !== 'violated').length;
      const strict = items.filter((c) => c.status === 'compliant').length;
      const pct = items.length ? (100 * within) / items.length : 0;
      const elapsed = (next - t0) / 1000;
      (elapsed <= 60 ? firstMinute : later).push(mem.rss);
      if (elapsed > 60) {
        compliantMin = Math.min(compliantMin, pct);
        strictMin = Math.min(strictMin, items.length ? (100 * strict) / items.length : 0);
      }
      if (elapsed % 30 === 0) {
        process.stderr.write(
          `t=${elapsed}s within RPO ${within}/${items.length}, compliant ${strict}, queued ${queued}, ` +
            `server RSS ${mem.rss.toFixed(0)} MiB (anonymous ${mem.anon.toFixed(0)}, peak so far ${mem.hwm.toFixed(0)}, ${mem.threads} threads)\n`,
        );
      }
    }
    stopChanges = true;
    await changer;

    const failed = (await call('GET', '/jobs?state=failed&kind=backup&limit=1')).json<{ total: number }>().total;
    const succeeded = (await call('GET', '/jobs?state=succeeded&kind=backup&limit=1')).json<{ total: number }>().total;
    const end = await procMemory(server.pid);
    const cpu = (await procCpuSeconds(server.pid)) - cpu0;
    const wall = (Date.now() - t0) / 1000;
    const load1 = loadavg()[0] ?? 0;
    const r1 = (n: number) => Math.round(n * 10) / 10;
    const range = (xs: number[]) => (xs.length ? `${r1(Math.min(...xs))}–${r1(Math.max(...xs))}` : 'n/a');
    process.stdout.write(
      `${vms} VMs at a ${rpo} s RPO for ${minutes} min: ${succeeded} backups, ${failed} failed; within RPO in every sample after the first minute: ≥ ${r1(compliantMin)} % ` +
        `(strictly compliant ≥ ${r1(strictMin)} %); up to ${queuedMax} backups queued; ${server.count(RPO_WARNING)} RPO warnings; ${changes} change rounds of ${changing.length} VMs; ` +
        `server RSS: ${r1(idle.rss)} MiB before the first backup, ${range(firstMinute)} MiB sampled in the first minute, ${range(later)} MiB after it, peak (VmHWM) ${r1(end.hwm)} MiB; ` +
        `server CPU ${r1(cpu)} s (${r1((100 * cpu) / wall)} % of a core, ${r1((1000 * cpu) / Math.max(1, succeeded))} ms per backup); ` +
        `load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores)\n`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'scale', vms, rpo_s: rpo, compliant_min_pct: r1(compliantMin), failed_jobs: failed, rss_max_MiB: r1(end.hwm) })}\n`);
  } finally {
    await served?.stop();
    await vc?.stop();
    if (dataDir) await removeDir(dataDir);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
