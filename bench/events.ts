/**
 * `npm run bench -- events`: 10,000 events through every channel that runs without a vCenter —
 * a signed webhook over HTTPS, syslog over TCP and over TLS, and e-mail over SMTP with STARTTLS
 * and a password — out of the outbox in a server database opened as the server opens it (WAL,
 * synchronous FULL), to real receivers on loopback in a process of their own
 * (events-receivers.ts), as they would run on other machines. Events are offered at a steady 1,500
 * per second (above the 1,000 per second the outbox must sustain), so that the delivery latency
 * measured is that of a loaded outbox, not of a backlog the benchmark made itself.
 *
 * The measured events go through a running server, not one that has just started: first a
 * warm-up of 1,500 events (one second at the offered rate) goes through every channel, and waits
 * until each is delivered. A server's first second opens its connections (16 TLS handshakes to
 * the webhook, SMTP sessions that a receiver greets only after its pause for early talkers), starts
 * the webhook thread and compiles its code while the events keep coming; the warm-up's own
 * figures are printed as the cold start's (its p99 and when each channel delivered its first
 * event), and its deliveries count in `lost` like the others. `LIFELINE_BENCH_EVENTS_WARMUP` sets
 * its size (0: the measured events start the server cold).
 *
 * events_per_s: events over the time from the first one offered to the last one received;
 * p99_delivery_ms: 99th percentile, over every delivery, of the time from offering the event to
 * Lifeline (before it is recorded) to its arrival at the receiver; lost: deliveries not received,
 * or received twice, by their receiver, or not recorded as delivered in the outbox (the warm-up's
 * included). The webhook
 * receiver verifies every signature with the standardwebhooks package; a failed verification
 * counts as lost. `LIFELINE_BENCH_EVENTS` sets the number of events.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStateDatabase } from '../plugin-server/src/server/state-database.js';
import { systemClock, systemRandomBytes } from '../plugin-server/src/domain/index.js';
import { createLogger } from '../plugin-server/src/log/index.js';
import { EventsService, validateChannelInput, type SettledDelivery } from '../plugin-server/src/events/index.js';
import type { ReceiverName, ReceiversReady, ReceiversReport } from './events-receivers.js';

const EVENTS = Number(process.env['LIFELINE_BENCH_EVENTS'] ?? 10_000);
const WARMUP = Number(process.env['LIFELINE_BENCH_EVENTS_WARMUP'] ?? 1_500);
const RATE_PER_S = 1_500;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-events-'));
  const db = openStateDatabase(dir);
  const child = fork(fileURLToPath(new URL('./events-receivers.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const messages: Array<(m: { type: string } & Record<string, unknown>) => void> = [];
  child.on('message', (m) => messages.forEach((fn) => fn(m as { type: string })));
  const next = <T>(type: string): Promise<T> =>
    new Promise((resolve) => {
      const fn = (m: { type: string }) => {
        if (m.type !== type) return;
        messages.splice(messages.indexOf(fn), 1);
        resolve(m as T);
      };
      messages.push(fn);
    });
  const ready = await next<ReceiversReady>('ready');
  const passwordFile = join(dir, 'smtp.password');
  writeFileSync(passwordFile, `${ready.smtp.password}\n`, { mode: 0o600 });
  const service = new EventsService({
    db,
    dataDir: dir,
    clock: systemClock,
    random: Math.random,
    randomBytes: systemRandomBytes,
    log: createLogger({ level: 'warn', write: (l) => process.stderr.write(`${l}\n`) }),
    version: 'bench',
  });
  try {
    const channels = [
      { name: 'webhook', kind: 'webhook', settings: { url: ready.webhook.url, caPem: ready.webhook.caPem }, secret: ready.secret },
      { name: 'syslog-tcp', kind: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: ready.tcp.port } },
      { name: 'syslog-tls', kind: 'syslog', settings: { transport: 'tls', host: '127.0.0.1', port: ready.tls.port, caPem: ready.tls.caPem } },
      {
        name: 'email',
        kind: 'email',
        settings: { host: '127.0.0.1', port: ready.smtp.port, security: 'starttls', user: ready.smtp.user, passwordFile, from: 'lifeline@example.com', to: ['ops@example.com'], caPem: ready.smtp.caPem },
      },
    ].map((c) => service.store.createChannel(validateChannelInput(c)));
    let delivered = 0;
    let failedAttempts = 0;
    // Where a delivery's time goes, per channel: waiting in Lifeline (recorded to attempt) and the attempt.
    const nameOf = new Map(channels.map((c) => [c.id, c.name]));
    const waits = new Map<string, { wait: number[]; send: number[] }>();
    service.onSettled((s: SettledDelivery) => {
      if (s.outcome === 'delivered') delivered++;
      else failedAttempts++;
      const name = nameOf.get(s.channelId) ?? s.channelId;
      const w = waits.get(name) ?? { wait: [], send: [] };
      waits.set(name, w);
      w.wait.push(s.latencyMs - s.sendMs);
      w.send.push(s.sendMs);
    });
    service.start();
    let received = 0;
    messages.push((m) => {
      if (m.type === 'progress') received = Number(m['total']);
    });
    /** Events offered so far, over both phases. */
    let offered = 0;
    interface Phase {
      /** When each of its events was offered, by event id. */
      offeredAt: Map<string, number>;
      /** From offering each event to its being on disk. */
      toRecord: number[];
      started: number;
    }
    /**
     * Offers `n` events at the rate and waits until every delivery of every event offered so far
     * is received and recorded as delivered (or 300 s have passed).
     */
    const runPhase = async (n: number): Promise<Phase> => {
      const phase: Phase = { offeredAt: new Map(), toRecord: [], started: Date.now() };
      const offer = (i: number) => {
        const at = Date.now();
        void service
          .record({ type: i % 10 === 0 ? 'backup.failed' : 'backup.succeeded', vm: { vcenterGuid: 'bench-vc', moref: `vm-${i % 200}`, name: `bench-${i % 200}` }, jobId: `job-${i}`, message: `Backup ${i} of bench-${i % 200}` })
          .then((e) => {
            if (!e) return;
            phase.offeredAt.set(e.id, at);
            phase.toRecord.push(Date.now() - at);
          });
      };
      // Hold the offered rate. Each turn of the event loop offers every event whose time has come, as
      // the server's independent producers (jobs ending, RPO changes) would; recording only hands
      // the event to the outbox's group commit, so it never starves the deliveries.
      const first = offered;
      for (let k = 0; k < n; ) {
        const now = Date.now();
        while (k < n && phase.started + (k * 1000) / RATE_PER_S <= now) offer(first + k++);
        if (k >= n) break;
        const due = phase.started + (k * 1000) / RATE_PER_S;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      }
      offered += n;
      const expected = offered * channels.length;
      for (const until = Date.now() + 300_000; Date.now() < until && (received < expected || delivered < expected); ) await new Promise((r) => setTimeout(r, 20));
      return phase;
    };
    const cold = WARMUP > 0 ? await runPhase(WARMUP) : null;
    // The delivery times of the measured events alone.
    waits.clear();
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuSeconds();
    const run = await runPhase(EVENTS);
    const { offeredAt, toRecord, started } = run;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const mainAfter = mainThreadCpuSeconds();
    const mainSeconds = mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore;
    // A moment for any duplicate to arrive, then what each receiver got.
    await new Promise((r) => setTimeout(r, 500));
    const reportP = next<ReceiversReport>('report');
    child.send({ type: 'report' });
    const report = await reportP;
    const latencies: number[] = [];
    const byReceiver: Record<string, number[]> = {};
    // Per receiver and per second of the run (by when the event was offered): where the tail is.
    const bySecond: Record<string, number[][]> = {};
    // The cold start's: each delivery's latency, and when each receiver got its first event.
    const coldLatencies: number[] = [];
    const coldByReceiver: Record<string, number[]> = {};
    const coldFirst: Record<string, number> = {};
    let lastArrival = started;
    let duplicates = 0;
    const got = {} as Record<ReceiverName, number>;
    for (const [name, entries] of Object.entries(report.received) as Array<[ReceiverName, Array<[string, number[]]>]>) {
      got[name] = 0;
      for (const [id, times] of entries) {
        const first = times[0] ?? NaN;
        const coldAt = cold?.offeredAt.get(id);
        const at = offeredAt.get(id);
        if (coldAt === undefined && at === undefined) continue;
        got[name]++;
        duplicates += times.length - 1;
        if (coldAt !== undefined && cold) {
          coldLatencies.push(first - coldAt);
          (coldByReceiver[name] ??= []).push(first - coldAt);
          coldFirst[name] = Math.min(coldFirst[name] ?? Infinity, first - cold.started);
          continue;
        }
        if (at === undefined) continue;
        latencies.push(first - at);
        (byReceiver[name] ??= []).push(first - at);
        ((bySecond[name] ??= [])[Math.floor((at - started) / 1000)] ??= []).push(first - at);
        lastArrival = Math.max(lastArrival, first);
      }
    }
    const counts = service.store.counts();
    const notRecorded = offered * channels.length - counts.delivered;
    const lost = Object.values(got).reduce((n, v) => n + (offered - v), 0) + report.refused + duplicates + Math.max(0, notRecorded);
    const seconds = (lastArrival - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pOf = (xs: number[], q: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    };
    const p = (q: number) => pOf(latencies, q);
    const s = service.writer.stats;
    process.stdout.write(`events: ${EVENTS} offered at ${RATE_PER_S}/s to ${channels.length} channels (${channels.map((c) => c.name).join(', ')}); vCenter events need a vCenter and are not part of this run\n`);
    if (cold) {
      process.stdout.write(
        `cold start (the warm-up, ${WARMUP} events at ${RATE_PER_S}/s from service start, not in the figures below): p50 ${pOf(coldLatencies, 0.5)} p99 ${pOf(coldLatencies, 0.99)} max ${pOf(coldLatencies, 1)} ms; ${Object.entries(coldByReceiver)
          .map(([name, xs]) => `${name} p99 ${pOf(xs, 0.99)}, first event at ${coldFirst[name] ?? NaN}`)
          .join('; ')} ms\n`,
      );
    }
    process.stdout.write(`received (warm-up included): ${JSON.stringify(got)} in ${report.mails} mails; duplicates ${duplicates}; failed attempts ${failedAttempts}; refused ${report.refused}; outbox ${JSON.stringify(counts)}\n`);
    process.stdout.write(`outbox commits (warm-up included): ${s.commits} (${s.syncs} disk syncs) for ${s.writes} writes (events recorded and attempts settled)\n`);
    process.stdout.write(
      `CPU: Lifeline ${cpuSeconds.toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)}), ${((cpuSeconds * 1000) / EVENTS).toFixed(2)} ms per event through ${channels.length} channels${mainSeconds === null ? '' : `, of which the main thread ${mainSeconds.toFixed(1)} s (${((mainSeconds * 1000) / EVENTS).toFixed(2)} ms per event)`}; receivers ${report.cpuSeconds.toFixed(1)} s; ${seconds.toFixed(1)} s of wall time; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs\n`,
    );
    process.stdout.write(`delivery latency ms (offered to received): p50 ${p(0.5)} p90 ${p(0.9)} p99 ${p(0.99)} max ${latencies.at(-1) ?? NaN}; ${seconds.toFixed(2)} s from the first event offered to the last received\n`);
    process.stdout.write(`offered to recorded (on disk) ms: p50 ${pOf(toRecord, 0.5)} p99 ${pOf(toRecord, 0.99)}\n`);
    for (const [name, xs] of Object.entries(byReceiver)) {
      const w = waits.get(name);
      process.stdout.write(
        `  ${name}: offered to received p50 ${pOf(xs, 0.5)} p99 ${pOf(xs, 0.99)}; in Lifeline waiting p50 ${pOf(w?.wait ?? [], 0.5)} p99 ${pOf(w?.wait ?? [], 0.99)}, attempt p50 ${pOf(w?.send ?? [], 0.5)} p99 ${pOf(w?.send ?? [], 0.99)}\n`,
      );
    }
    process.stdout.write(`p99 ms per second of the run (by the second the event was offered):\n`);
    for (const [name, seconds] of Object.entries(bySecond)) {
      process.stdout.write(`  ${name.padEnd(10)} ${Array.from(seconds, (xs) => String(xs ? pOf(xs, 0.99) : '-').padStart(5)).join('')}\n`);
    }
    process.stdout.write(`${JSON.stringify({ bench: 'events', events: EVENTS, events_per_s: Math.round(EVENTS / seconds), p99_delivery_ms: p(0.99), lost })}\n`);
  } finally {
    await service.stop();
    db.close();
    child.send({ type: 'close' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU time of this process's main thread (the event loop the outbox and the dispatcher run on) in
 * seconds, from Linux's per-thread accounting (/proc/self/task/<pid>/stat, in clock ticks of
 * 1/100 s); null elsewhere. `process.cpuUsage()` counts every thread of the process.
 */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // The fields after the command's name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

await main();
// The receivers' process ends on its own once told to close; the figures are out.
process.exit(0);
