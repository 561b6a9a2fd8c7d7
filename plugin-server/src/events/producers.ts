/**
 * Where events come from: the job runner's state changes (a backup, restore, instant recovery or
 * maintenance job that ended) and the protection scheduler's RPO status changes, each turned into an event with a
 * de-duplication key, so that the same fact seen twice (an event replayed, a transition announced
 * again after a restart) is told once.
 */
import { parseVmKey, type VmRef } from '../domain/index.js';
import type { JobEvent, JobRecord, Unsubscribe } from '../jobs/index.js';
import type { EventVm, NewEvent } from './event.js';

/** Records an event once per key; the events service. */
export type RecordEvent = (e: NewEvent, dedupeKey: string) => void;

/** The job runner as far as events need it. */
export interface JobEventSource {
  subscribe(listener: (e: JobEvent) => void): Unsubscribe;
}

function vmOf(job: JobRecord): EventVm | null {
  if (job.target.type !== 'VirtualMachine' || job.target.vcenterGuid === null) return null;
  const result = job.result as { vm?: { name?: unknown } } | null;
  const name = typeof result?.vm?.name === 'string' ? result.vm.name : undefined;
  return { vcenterGuid: job.target.vcenterGuid, moref: job.target.id, ...(name === undefined ? {} : { name }) };
}

const vmLabel = (vm: EventVm | null, job: JobRecord): string => vm?.name ?? vm?.moref ?? job.target.id;

function failure(job: JobRecord): Record<string, unknown> {
  return { error: job.error ?? { code: job.state, message: job.state } };
}

/**
 * Damaged points a `verify.damage` event lists at most (the first found); its `count` is all of
 * them. An event goes to every channel (a mail, a syslog line, a webhook), and must stay small
 * however much damage a run found: the maintenance job's result lists every point.
 */
export const MAX_DAMAGED_POINTS_LISTED = 100;

/**
 * The damage a maintenance run's verification found, from its result: a run that finds damage
 * fails (protection/repository-maintenance.ts, `repository-damaged`) and keeps what it found as
 * the failed job's result, every damaged point with it.
 */
function damageOf(job: JobRecord): { count: number; points: string[] } | null {
  const result = job.result as { verify?: { damagedPoints?: unknown } | null } | null;
  if (!Array.isArray(result?.verify?.damagedPoints)) return null;
  const points = (result.verify.damagedPoints as unknown[]).filter((p): p is string => typeof p === 'string');
  return points.length > 0 ? { count: points.length, points } : null;
}

/** The operations of the instant recovery job kinds, as events name them (data.operation) and tell them. */
const INSTANT_OPERATIONS: Readonly<Record<string, Readonly<Record<string, { operation: string; label: string }>>>> = {
  'instant-revert': {
    revert: { operation: 'instant-revert', label: 'Instant revert' },
    cancel: { operation: 'instant-revert-cancel', label: 'Cancel of the instant revert' },
    commit: { operation: 'instant-revert-commit', label: 'Make permanent of the instant revert' },
  },
  'instant-recovery': {
    'new-instance': { operation: 'instant-new-instance', label: 'Instant new instance' },
    attach: { operation: 'instant-attach', label: 'Instant attach' },
    migrate: { operation: 'instant-migrate', label: 'Migration to production' },
    discard: { operation: 'instant-discard', label: 'Discard of the instant recovery' },
  },
};

function instantOperation(job: JobRecord): { operation: string; label: string } {
  const op = (job.params as { operation?: unknown } | null)?.operation;
  return (typeof op === 'string' ? INSTANT_OPERATIONS[job.kind]?.[op] : undefined) ?? { operation: job.kind, label: job.kind };
}

/**
 * The VM of an instant recovery job: its target, or — a new instance, whose job targets the VM's
 * name until the VM is made — the VM the job made (its result's moref), under that name.
 */
function instantVmOf(job: JobRecord): EventVm | null {
  const guid = job.target.vcenterGuid;
  if (guid === null) return null;
  if (job.target.type === 'VirtualMachine') return { vcenterGuid: guid, moref: job.target.id };
  const made = (job.result as { vm?: unknown } | null)?.vm;
  return typeof made === 'string' ? { vcenterGuid: guid, moref: made, name: job.target.id } : null;
}

/**
 * The events a job that ended stands for: a backup's outcome (and its new restore point), a
 * restore's (copy-first, or an instant revert's or instant recovery's step), and a maintenance run's (with any damage verification found).
 */
export function eventsOfJob(job: JobRecord, warned: boolean): NewEvent[] {
  const vm = vmOf(job);
  const base = { vm, jobId: job.id };
  const ok = job.state === 'succeeded';
  const why = job.error ? `: ${job.error.message}` : '';
  const data = { kind: job.kind, state: job.state, requestedBy: job.requestedBy, attempt: job.attempt };
  switch (job.kind) {
    case 'backup': {
      if (!ok) return [{ ...base, type: 'backup.failed', message: `Backup of ${vmLabel(vm, job)} ${job.state === 'cancelled' ? 'was cancelled' : 'failed'}${why}`, data: { ...data, ...failure(job) } }];
      const pointId = (job.result as { pointId?: unknown } | null)?.pointId;
      const point = typeof pointId === 'string' ? pointId : null;
      const out: NewEvent[] = [
        warned
          ? { ...base, pointId: point, type: 'backup.warning', message: `Backup of ${vmLabel(vm, job)} succeeded with warnings (see the job's log)`, data }
          : { ...base, pointId: point, type: 'backup.succeeded', message: `Backup of ${vmLabel(vm, job)} succeeded`, data },
      ];
      if (point !== null) out.push({ ...base, pointId: point, type: 'point.created', message: `Restore point ${point} of ${vmLabel(vm, job)} created`, data: { result: job.result } });
      return out;
    }
    case 'restore': {
      const operation = (job.params as { operation?: unknown } | null)?.operation;
      const what = typeof operation === 'string' ? operation : 'restore';
      return ok
        ? [{ ...base, type: 'restore.succeeded', message: `${what} of ${vmLabel(vm, job)} succeeded`, data: { ...data, operation: what } }]
        : [{ ...base, type: 'restore.failed', message: `${what} of ${vmLabel(vm, job)} ${job.state === 'cancelled' ? 'was cancelled' : 'failed'}${why}`, data: { ...data, operation: what, ...failure(job) } }];
    }
    case 'instant-revert':
    case 'instant-recovery': {
      const what = instantOperation(job);
      const ivm = instantVmOf(job);
      const label = ivm?.name ?? ivm?.moref ?? job.target.id;
      const runId = (job.params as { runId?: unknown } | null)?.runId;
      const idata = { ...data, operation: what.operation, ...(typeof runId === 'string' ? { runId } : {}) };
      return ok
        ? [{ vm: ivm, jobId: job.id, type: 'restore.succeeded', message: `${what.label} of ${label} succeeded`, data: idata }]
        : [{ vm: ivm, jobId: job.id, type: 'restore.failed', message: `${what.label} of ${label} ${job.state === 'cancelled' ? 'was cancelled' : 'failed'}${why}`, data: { ...idata, ...failure(job) } }];
    }
    case 'maintenance': {
      const out: NewEvent[] = ok
        ? [{ ...base, type: 'maintenance.succeeded', message: 'Repository maintenance finished', data: { ...data, result: job.result } }]
        : [{ ...base, type: 'maintenance.failed', message: `Repository maintenance failed${why}`, data: { ...data, ...failure(job) } }];
      const damage = damageOf(job);
      if (damage !== null) {
        const listed = damage.points.slice(0, MAX_DAMAGED_POINTS_LISTED);
        const more = damage.count > listed.length ? ` (the first ${listed.length} listed)` : '';
        out.push({ ...base, type: 'verify.damage', message: `Verification found damage in ${damage.count} restore point(s)${more}`, data: { damagedPoints: listed, count: damage.count } });
      }
      return out;
    }
    default:
      return [];
  }
}

/**
 * Records the events of every job that ends from now on. Jobs whose log had a warning give
 * `backup.warning` rather than `backup.succeeded`.
 */
export function recordJobOutcomes(source: JobEventSource, record: RecordEvent): Unsubscribe {
  const warned = new Set<string>();
  return source.subscribe((e) => {
    if (e.type === 'log' && e.line.level === 'warn') warned.add(e.jobId);
    if (e.type !== 'state') return;
    const job = e.job;
    if (job.state === 'queued' || job.state === 'running') return;
    const hadWarning = warned.delete(job.id);
    eventsOfJob(job, hadWarning).forEach((ev) => record(ev, `job:${job.id}:${ev.type}`));
  });
}

/** An RPO status change as the protection scheduler announces it. */
export interface RpoTransition {
  vm: VmRef;
  policyId: string;
  from: string | null;
  to: 'compliant' | 'at-risk' | 'violated';
  at: string;
  compliance: { ageSeconds: number | null; rpoSeconds?: number; lastGoodPointAt: string | null };
}

export interface RpoChangeSource {
  onRpoChange(listener: (change: RpoTransition) => void): Unsubscribe;
}

/**
 * `rpo.violated` and `rpo.at-risk` when a VM falls behind its RPO, `rpo.recovered` when it is back.
 * The scheduler knows VMs by moref; `nameOf` gives the name a person knows them by (the name the
 * VM's backups recorded), and the moref stands in only for a VM never named.
 */
export function recordRpoChanges(source: RpoChangeSource, record: RecordEvent, nameOf: (vm: VmRef) => string | null = () => null): Unsubscribe {
  return source.onRpoChange((c) => {
    // The first assessment of a VM that is fine is no news.
    if (c.from === null && c.to === 'compliant') return;
    const name = nameOf(c.vm);
    const vm: EventVm = { vcenterGuid: c.vm.vcenterGuid, moref: c.vm.moref, ...(name === null ? {} : { name }) };
    const label = name === null ? c.vm.moref : `${name} (${c.vm.moref})`;
    const data = { policyId: c.policyId, from: c.from, to: c.to, ageSeconds: c.compliance.ageSeconds, lastGoodPointAt: c.compliance.lastGoodPointAt };
    const key = `rpo:${c.vm.vcenterGuid}:${c.vm.moref}:${c.at}:${c.to}`;
    if (c.to === 'compliant') record({ type: 'rpo.recovered', vm, message: `${label} is back within its RPO`, data }, key);
    else record({ type: c.to === 'violated' ? 'rpo.violated' : 'rpo.at-risk', vm, message: `${label} is ${c.to === 'violated' ? 'out of' : 'at risk of missing'} its RPO`, data }, key);
  });
}

/** How a download of a restore point's disk ended (api/http/disk-export.ts). */
export interface ExportOutcome {
  pointId: string;
  /** The point's VM key (`<vCenter UUID>:<moref>`) and name. */
  vmId: string;
  vmName: string;
  disk: number;
  format: 'raw' | 'vmdk';
  /** The whole disk, not a byte range. */
  whole: boolean;
  capacityBytes: number;
  error: { code: string; message: string } | null;
}

/**
 * `export.succeeded` for a whole disk sent to its end, `export.failed` for any download that
 * failed on Lifeline's side; a byte range that was served is a part of a download, not told.
 */
export function eventOfExport(o: ExportOutcome): NewEvent | null {
  if (o.error === null && !o.whole) return null;
  const ref = parseVmKey(o.vmId);
  const vm: EventVm | null = ref ? { ...ref, name: o.vmName } : null;
  const what = `${o.format === 'raw' ? 'raw image' : 'VMDK'} of disk ${o.disk} of restore point ${o.pointId} (${o.vmName})`;
  const data = { disk: o.disk, format: o.format, whole: o.whole, capacityBytes: o.capacityBytes };
  return o.error === null
    ? { type: 'export.succeeded', vm, pointId: o.pointId, message: `Export of the ${what} finished`, data }
    : { type: 'export.failed', vm, pointId: o.pointId, message: `Export of the ${what} failed: ${o.error.message}`, data: { ...data, error: o.error } };
}

/** A pairing change as the site service tells it (sites/site-service.ts). */
export interface PairingChange {
  change: 'paired' | 'unpaired' | 'refused';
  /** The peer's id here, when it is (or was) paired. */
  siteId: string | null;
  name: string | null;
  url: string | null;
  /** This site's role toward the peer: it sends to a target, or receives from a source. */
  role: 'source' | 'target' | null;
  /** Who ended a pairing: this site or the peer. */
  by?: 'here' | 'peer';
  error?: { code: string; message: string };
}

export function eventOfPairing(c: PairingChange): NewEvent {
  const who = c.name ?? c.url ?? 'a site';
  const data = { change: c.change, name: c.name, url: c.url, role: c.role, ...(c.by ? { by: c.by } : {}), ...(c.error ? { error: c.error } : {}) };
  switch (c.change) {
    case 'paired':
      return { type: 'site.paired', site: c.siteId, message: `Paired with ${c.role === 'target' ? 'the DR site' : 'the source site'} ${who}`, data };
    case 'unpaired':
      return {
        type: 'site.unpaired',
        site: c.siteId,
        message:
          c.by !== 'peer'
            ? `The pairing with ${who} was ended here`
            : c.role === 'source'
              ? `The source site ${who} ended its pairing with this site; its replicas stay here for failover until it is unpaired here`
              : `The site ${who} ended its pairing with this site`,
        data,
      };
    default:
      return { type: 'site.pairing-refused', site: c.siteId, message: `A pairing with ${who} was refused: ${c.error?.message ?? 'no reason given'}`, data };
  }
}

/** A refusal for lack of a privilege (api/auth). */
export interface PrivilegeRefusal {
  user: string;
  privilege: string;
  /** The object, as `<type>:<moref>`. */
  entity: string;
  vcenterGuid: string | null;
}

/** Refusals of one user and privilege closer together than this are one burst: one event. */
export const PRIVILEGE_BURST_QUIET_MS = 10 * 60_000;

/**
 * Tells one `privilege.refused` per burst: the first refusal of a user for a privilege, then
 * nothing for that pair until it has been quiet for PRIVILEGE_BURST_QUIET_MS. A refused user
 * retrying (or a UI polling) is one fact, not hundreds.
 */
export function privilegeBursts(now: () => number, record: RecordEvent): (r: PrivilegeRefusal) => void {
  const last = new Map<string, { startedAt: number; lastAt: number }>();
  return (r) => {
    const t = now();
    const key = JSON.stringify([r.vcenterGuid, r.user, r.privilege]);
    const burst = last.get(key);
    if (burst && t - burst.lastAt < PRIVILEGE_BURST_QUIET_MS) {
      burst.lastAt = t;
      return;
    }
    if (last.size > 10_000) for (const [k, b] of last) if (t - b.lastAt >= PRIVILEGE_BURST_QUIET_MS) last.delete(k);
    last.set(key, { startedAt: t, lastAt: t });
    record(
      {
        type: 'privilege.refused',
        message: `${r.user} was refused: lacks the privilege ${r.privilege} on ${r.entity} (further refusals of the same are not told until ${PRIVILEGE_BURST_QUIET_MS / 60_000} minutes pass without one)`,
        data: { user: r.user, privilege: r.privilege, entity: r.entity, vcenterGuid: r.vcenterGuid },
      },
      `privilege:${key}:${t}`,
    );
  };
}
