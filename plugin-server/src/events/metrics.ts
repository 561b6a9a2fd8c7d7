/**
 * Lifeline's Prometheus metrics (prom-client, a registry of its own): per-VM RPO age, target and
 * compliance, jobs by kind and outcome with their durations and bytes, the store's capacity,
 * contents and dedup ratio, and the events delivered per channel and outcome. Job counters count
 * from the server's start, as Prometheus counters do; the rest is read when scraped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobRecord } from '../jobs/index.js';
import type { JobEventSource } from './producers.js';
import type { SqliteEventsStore } from './events-store.js';
import type { EventDispatcher } from './dispatcher.js';

export interface ComplianceFact {
  vm: { vcenterGuid: string; moref: string };
  status: 'compliant' | 'at-risk' | 'violated';
  ageSeconds: number | null;
  rpoSeconds: number;
}

export interface StoreFacts {
  totalBytes: number | null;
  freeBytes: number | null;
  storedBytes: number;
  logicalBytes: number;
  dedupRatio: number;
  points: number;
}

export interface MetricsSources {
  jobs: JobEventSource;
  compliance(signal: AbortSignal): Promise<readonly ComplianceFact[]>;
  /** The backup store's figures, or null without a store. */
  store(signal: AbortSignal): Promise<StoreFacts | null>;
  events: { store: SqliteEventsStore; dispatcher: EventDispatcher };
}

const STATUSES = ['compliant', 'at-risk', 'violated'] as const;

export interface LifelineMetrics {
  readonly registry: Registry;
  /** The text exposition (Prometheus text format 0.0.4). */
  render(signal: AbortSignal): Promise<string>;
  stop(): void;
}

export function createMetrics(src: MetricsSources): LifelineMetrics {
  const registry = new Registry();
  let scrape: AbortSignal = new AbortController().signal;

  // One compliance read per scrape, shared by the four gauges (the registry collects them at once).
  let read: { signal: AbortSignal; value: Promise<readonly ComplianceFact[]> } | null = null;
  const complianceFacts = () => {
    if (read?.signal !== scrape) read = { signal: scrape, value: src.compliance(scrape) };
    return read.value;
  };
  const perVm = (name: string, help: string, value: (f: ComplianceFact) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['vcenter', 'vm'],
      registers: [registry],
      async collect() {
        const facts = await complianceFacts();
        this.reset();
        for (const f of facts) this.set({ vcenter: f.vm.vcenterGuid, vm: f.vm.moref }, value(f));
      },
    });
  perVm('lifeline_vm_rpo_age_seconds', "Age of the VM's newest good restore point; +Inf when it has none.", (f) => f.ageSeconds ?? Infinity);
  perVm('lifeline_vm_rpo_target_seconds', "The RPO of the VM's protection policy.", (f) => f.rpoSeconds);
  new Gauge({
    name: 'lifeline_vm_rpo_status',
    help: "The VM's RPO compliance: 1 for its current status, 0 for the others.",
    labelNames: ['vcenter', 'vm', 'status'],
    registers: [registry],
    async collect() {
      const facts = await complianceFacts();
      this.reset();
      for (const f of facts) for (const st of STATUSES) this.set({ vcenter: f.vm.vcenterGuid, vm: f.vm.moref, status: st }, f.status === st ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lifeline_vms_protected',
    help: 'Protected VMs by RPO compliance.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const facts = await complianceFacts();
      this.reset();
      for (const st of STATUSES) this.set({ status: st }, facts.filter((f) => f.status === st).length);
    },
  });

  const jobs = new Counter({ name: 'lifeline_jobs_total', help: 'Jobs that ended since the server started, by kind and outcome.', labelNames: ['kind', 'outcome'], registers: [registry] });
  const durations = new Histogram({
    name: 'lifeline_job_duration_seconds',
    help: 'How long jobs ran, from start to end, by kind and outcome.',
    labelNames: ['kind', 'outcome'],
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
    registers: [registry],
  });
  const bytes = new Counter({ name: 'lifeline_job_bytes_total', help: 'Bytes jobs processed (a backup: read from its disks) since the server started, by kind.', labelNames: ['kind'], registers: [registry] });
  const off = src.jobs.subscribe((e) => {
    if (e.type !== 'state') return;
    const j: JobRecord = e.job;
    if (j.state === 'queued' || j.state === 'running') return;
    const labels = { kind: j.kind, outcome: j.state };
    jobs.inc(labels);
    if (j.startedAt && j.finishedAt) durations.observe(labels, Math.max(0, (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000));
    if (j.progress.bytesDone > 0) bytes.inc({ kind: j.kind }, j.progress.bytesDone);
  });

  const storeGauge = (name: string, help: string, pick: (f: StoreFacts) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const f = await storeFacts();
        this.reset();
        const v = f ? pick(f) : null;
        if (v !== null) this.set(v);
      },
    });
  // One read of the store per scrape, shared by its gauges.
  let facts: { signal: AbortSignal; value: Promise<StoreFacts | null> } | null = null;
  const storeFacts = () => {
    if (facts?.signal !== scrape) facts = { signal: scrape, value: src.store(scrape) };
    return facts.value;
  };
  storeGauge('lifeline_store_filesystem_size_bytes', "Size of the store's file system.", (f) => f.totalBytes);
  storeGauge('lifeline_store_filesystem_free_bytes', "Free room on the store's file system.", (f) => f.freeBytes);
  storeGauge('lifeline_store_stored_bytes', 'Bytes the restore points take in the store (compressed, deduplicated).', (f) => f.storedBytes);
  storeGauge('lifeline_store_logical_bytes', 'Bytes of the disks the restore points stand for.', (f) => f.logicalBytes);
  storeGauge('lifeline_store_dedup_ratio', 'Data referenced by restore points over unique data stored.', (f) => f.dedupRatio);
  storeGauge('lifeline_store_points', 'Restore points in the store.', (f) => f.points);

  new Gauge({
    name: 'lifeline_event_deliveries',
    help: 'Event deliveries by channel and state (pending, delivered, dead).',
    labelNames: ['channel', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of src.events.store.listChannels()) {
        const n = src.events.store.counts(c.id);
        for (const state of ['pending', 'delivered', 'dead'] as const) this.set({ channel: c.name, state }, n[state]);
      }
    },
  });

  return {
    registry,
    async render(signal) {
      scrape = signal;
      return registry.metrics();
    },
    stop: off,
  };
}
