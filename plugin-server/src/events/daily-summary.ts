/**
 * The daily summary mail: RPO compliance of every protected VM, the failures of the last 24 hours
 * (from the outbox), and the store's capacity, recorded as one `lifeline.summary` event for the
 * e-mail channel that asked for it at its hour (UTC). Recorded once per channel and day (a
 * de-duplication key), so a restart neither repeats nor skips it: a server that was down at the
 * hour sends the day's summary when it is back.
 */
import type { Clock } from '../domain/index.js';
import { describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { LifelineEvent, NewEvent } from './event.js';
import type { SqliteEventsStore } from './events-store.js';

export interface SummaryFacts {
  compliance: ReadonlyArray<{ vm: string; status: 'compliant' | 'at-risk' | 'violated'; ageSeconds: number | null }>;
  /** The backup store's file system and what the store holds; null without a store. */
  capacity: { totalBytes: number; freeBytes: number; storedBytes: number } | null;
}

export type SummarySource = (signal: AbortSignal) => Promise<SummaryFacts>;

const DAY_MS = 86_400_000;
const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

export function summaryText(facts: SummaryFacts, failures: readonly LifelineEvent[], day: string): { message: string; text: string } {
  const by = (s: string) => facts.compliance.filter((c) => c.status === s);
  const violated = by('violated');
  const atRisk = by('at-risk');
  const lines = [
    `Lifeline daily summary for ${day} (UTC)`,
    '',
    `RPO compliance: ${by('compliant').length} compliant, ${atRisk.length} at risk, ${violated.length} violated, of ${facts.compliance.length} protected VMs`,
    ...[...violated, ...atRisk].map((c) => `  ${c.status.padEnd(9)} ${c.vm}  last good point ${c.ageSeconds === null ? 'never' : `${Math.round(c.ageSeconds / 60)} min ago`}`),
    '',
    `Failures in the last 24 hours: ${failures.length}`,
    ...failures.slice(0, 50).map((f) => `  ${f.at}  ${f.type}  ${f.message}`),
    ...(failures.length > 50 ? [`  … and ${failures.length - 50} more`] : []),
    '',
    facts.capacity
      ? `Store: ${gib(facts.capacity.storedBytes)} stored; file system ${gib(facts.capacity.freeBytes)} free of ${gib(facts.capacity.totalBytes)}`
      : 'Store: this server has no backup store',
    'Replication: this server replicates to no site',
  ];
  const message = `Daily summary ${day}: ${violated.length} VM(s) out of RPO, ${failures.length} failure(s)`;
  return { message, text: `${lines.join('\n')}\n` };
}

export interface DailySummaryOptions {
  store: SqliteEventsStore;
  clock: Clock;
  log: Logger;
  facts: SummarySource;
  record(e: NewEvent, opts: { dedupeKey: string; onlyChannel: string }): void;
  signal: AbortSignal;
}

/** Looks every minute whether an e-mail channel's summary hour has come today; returns a stop function. */
export function startDailySummaries(opts: DailySummaryOptions): () => void {
  let timer: { cancel(): void } | null = null;
  let running = false;
  const tick = async () => {
    if (running || opts.signal.aborted) return;
    running = true;
    try {
      const now = opts.clock.now();
      const day = new Date(now).toISOString().slice(0, 10);
      const hhmm = new Date(now).toISOString().slice(11, 16);
      const due = opts.store.listChannels().filter((c) => c.kind === 'email' && c.enabled && c.settings.dailySummaryAt !== null && c.settings.dailySummaryAt <= hhmm);
      const pending = due.filter((c) => !opts.store.hasDedupeKey(`summary:${c.id}:${day}`));
      if (pending.length > 0) {
        const facts = await opts.facts(opts.signal);
        const failures = opts.store.eventsSince(new Date(now - DAY_MS).toISOString()).filter((e) => e.type.endsWith('.failed') || e.type === 'verify.damage');
        const { message, text } = summaryText(facts, failures, day);
        for (const c of pending) opts.record({ type: 'lifeline.summary', message, data: { text, day } }, { dedupeKey: `summary:${c.id}:${day}`, onlyChannel: c.id });
      }
    } catch (err) {
      if (!opts.signal.aborted) opts.log.error('daily summary not made', { error: describeError(err) });
    } finally {
      running = false;
      if (!opts.signal.aborted) timer = opts.clock.setTimer(60_000 - (opts.clock.now() % 60_000), () => void tick());
    }
  };
  void tick();
  return () => timer?.cancel();
}

/** The server's parts the summary reads: the scheduler's compliance and the backup store. */
export interface SummaryParts {
  compliance(signal: AbortSignal): Promise<ReadonlyArray<{ vm: { moref: string }; status: 'compliant' | 'at-risk' | 'violated'; ageSeconds: number | null }>>;
  repository: { space(signal: AbortSignal): Promise<{ totalBytes: number; freeBytes: number } | null>; catalog: { pointTotals(): { newStoredBytes: number } } } | null;
}

export function serverSummary(parts: SummaryParts): SummarySource {
  return async (signal) => {
    const compliance = (await parts.compliance(signal)).map((c) => ({ vm: c.vm.moref, status: c.status, ageSeconds: c.ageSeconds }));
    const repo = parts.repository;
    const space = repo ? await repo.space(signal) : null;
    return { compliance, capacity: repo && space ? { totalBytes: space.totalBytes, freeBytes: space.freeBytes, storedBytes: repo.catalog.pointTotals().newStoredBytes } : null };
  };
}
