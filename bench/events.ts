/**
 * `npm run bench -- events`: 10,000 events through every channel that runs without a vCenter —
 * a signed webhook over HTTPS, syslog over TCP and over TLS, and e-mail over SMTP with STARTTLS
 * and a password — to real receivers on loopback, out of the outbox in a server database opened
 * as the server opens it (WAL, synchronous FULL). Events are offered at a steady 1,500 per second
 * (above the 1,000 per second the outbox must sustain), so that the delivery latency measured is
 * that of a loaded outbox, not of a backlog the benchmark made itself.
 *
 * events_per_s: events over the time from the first one recorded to the last delivery;
 * p99_delivery_ms: 99th percentile, over every delivery, of the time from recording the event to
 * the receiver's acknowledgement being recorded; lost: deliveries not received (or received twice)
 * by their receiver. The webhook receiver verifies every signature with the standardwebhooks
 * package; a failed verification counts as lost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateDatabase } from '../plugin-server/src/server/state-database.js';
import { systemClock, systemRandomBytes } from '../plugin-server/src/domain/index.js';
import { createLogger } from '../plugin-server/src/log/index.js';
import { EventsService, validateChannelInput, type SettledDelivery } from '../plugin-server/src/events/index.js';
import { startSmtpReceiver, startSyslogReceiver, startWebhookReceiver, webhookSecret } from '../plugin-server/src/events/testing.js';

const EVENTS = Number(process.env['LIFELINE_BENCH_EVENTS'] ?? 10_000);
const RATE_PER_S = 1_500;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-events-'));
  const db = openStateDatabase(dir);
  const secret = webhookSecret();
  const hook = await startWebhookReceiver(secret);
  const tcp = await startSyslogReceiver('tcp');
  const tls = await startSyslogReceiver('tls');
  const smtp = await startSmtpReceiver('starttls', 'bench', 'bench-pass');
  const passwordFile = join(dir, 'smtp.password');
  writeFileSync(passwordFile, 'bench-pass\n', { mode: 0o600 });
  const service = new EventsService({
    db,
    dataDir: dir,
    clock: systemClock,
    random: Math.random,
    randomBytes: systemRandomBytes,
    log: createLogger({ level: 'warn', write: (l) => process.stderr.write(`${l}\n`) }),
    version: 'bench',
    concurrency: 64,
  });
  try {
    const channels = [
      { name: 'webhook', kind: 'webhook', settings: { url: hook.url, caPem: hook.caPem }, secret },
      { name: 'syslog-tcp', kind: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: tcp.port } },
      { name: 'syslog-tls', kind: 'syslog', settings: { transport: 'tls', host: '127.0.0.1', port: tls.port, caPem: tls.caPem } },
      {
        name: 'email',
        kind: 'email',
        settings: { host: '127.0.0.1', port: smtp.port, security: 'starttls', user: 'bench', passwordFile, from: 'lifeline@example.com', to: ['ops@example.com'], caPem: smtp.caPem },
      },
    ].map((c) => service.store.createChannel(validateChannelInput(c)));
    const latencies: number[] = [];
    let failedAttempts = 0;
    let lastDelivery = 0;
    service.onSettled((s: SettledDelivery) => {
      if (s.outcome === 'delivered') {
        latencies.push(s.latencyMs);
        lastDelivery = Date.now();
      } else failedAttempts++;
    });
    service.start();
    const expected = EVENTS * channels.length;
    const done = new Promise<void>((resolve) => {
      const off = service.onSettled(() => {
        if (latencies.length >= expected) {
          off();
          resolve();
        }
      });
    });
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    const offer = (i: number) =>
      void service.record({ type: i % 10 === 0 ? 'backup.failed' : 'backup.succeeded', vm: { vcenterGuid: 'bench-vc', moref: `vm-${i % 200}`, name: `bench-${i % 200}` }, jobId: `job-${i}`, message: `Backup ${i} of bench-${i % 200}` });
    // Hold the offered rate. Each turn of the event loop offers every event whose time has come, as
    // the server's independent producers (jobs ending, RPO changes) would; recording only hands
    // the event to the outbox's group commit, so it never starves the deliveries.
    for (let i = 0; i < EVENTS; ) {
      const now = Date.now();
      while (i < EVENTS && started + (i * 1000) / RATE_PER_S <= now) offer(i++);
      if (i >= EVENTS) break;
      const due = started + (i * 1000) / RATE_PER_S;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }
    const timeout = setTimeout(() => undefined, 600_000);
    await Promise.race([done, new Promise((r) => setTimeout(r, 300_000))]);
    clearTimeout(timeout);
    const seconds = (lastDelivery - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // What each receiver got: every event once.
    await new Promise((r) => setTimeout(r, 500));
    const webhookIds = new Set(hook.received.map((r) => r.id));
    const syslogCount = (msgs: string[]) => new Set(msgs.map((m) => /id="(evt_[0-9a-f]+)"/.exec(m)?.[1])).size;
    const mailIds = new Set(smtp.mails.map((m) => /X-Lifeline-Event-I[Dd]: (evt_[0-9a-f]+)/.exec(m.raw)?.[1]));
    const got = { webhook: webhookIds.size, 'syslog-tcp': syslogCount(tcp.messages), 'syslog-tls': syslogCount(tls.messages), email: mailIds.size };
    const duplicates = hook.received.length - webhookIds.size + (tcp.messages.length - got['syslog-tcp']) + (tls.messages.length - got['syslog-tls']) + (smtp.mails.length - mailIds.size);
    const lost = Object.values(got).reduce((n, v) => n + (EVENTS - v), 0) + hook.refused.length + duplicates;
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
    process.stdout.write(`events: ${EVENTS} offered at ${RATE_PER_S}/s to ${channels.length} channels (${channels.map((c) => c.name).join(', ')}); vCenter events need a vCenter and are not part of this run\n`);
    process.stdout.write(`received: ${JSON.stringify(got)}; duplicates ${duplicates}; failed attempts ${failedAttempts}; signatures refused ${hook.refused.length}\n`);
    process.stdout.write(`outbox commits: ${service.writer.stats.commits} (${service.writer.stats.syncs} disk syncs) for ${service.writer.stats.writes} writes (events recorded and attempts settled)\n`);
    // Lifeline and the four receivers share this one process: its CPU time bounds the rate on a busy machine.
    process.stdout.write(`CPU: ${cpuSeconds.toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)}) for ${seconds.toFixed(1)} s of wall time, ${((cpuSeconds * 1000) / EVENTS).toFixed(2)} ms per event through ${channels.length} channels and their receivers; load average ${loadavg()[0]?.toFixed(1) ?? '?'} on ${availableParallelism()} CPUs\n`);
    process.stdout.write(`delivery latency ms: p50 ${p(0.5)} p90 ${p(0.9)} p99 ${p(0.99)} max ${latencies.at(-1) ?? NaN}; ${seconds.toFixed(2)} s from the first event to the last delivery\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'events', events: EVENTS, events_per_s: Math.round(EVENTS / seconds), p99_delivery_ms: p(0.99), lost })}\n`);
  } finally {
    await service.stop();
    db.close();
    await Promise.all([hook.close(), tcp.close(), tls.close(), smtp.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
// The receivers' libraries (smtp-server, https) may keep idle timers after closing; the figures are out.
process.exit(0);
