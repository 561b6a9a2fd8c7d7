/**
 * Lifeline's events: every fact worth telling an administrator (a backup that failed, a VM out of
 * its RPO, damage found by verification, …) as one record with a stable type name, a severity,
 * references to what it is about and a time. Channels (webhooks, syslog, e-mail, vCenter) all
 * deliver this one shape; type names are part of the contract with receivers and never change
 * meaning once released.
 */
import type { VmRef } from '../domain/index.js';

export type EventSeverity = 'info' | 'warning' | 'error' | 'critical';

export const SEVERITIES: readonly EventSeverity[] = ['info', 'warning', 'error', 'critical'];

/** Every event type Lifeline emits, with its severity. A type is listed once something emits it. */
export const EVENT_TYPES = {
  'backup.succeeded': 'info',
  'backup.warning': 'warning',
  'backup.failed': 'error',
  'point.created': 'info',
  'rpo.violated': 'error',
  'rpo.at-risk': 'warning',
  'rpo.recovered': 'info',
  'restore.succeeded': 'info',
  'restore.failed': 'error',
  'verify.damage': 'critical',
  'maintenance.succeeded': 'info',
  'maintenance.failed': 'error',
  /** A restore point's whole disk was downloaded (raw or VMDK), e.g. by backup software through export links. */
  'export.succeeded': 'info',
  /** A download of a point's disk failed on Lifeline's side (a damaged point, a read error). */
  'export.failed': 'error',
  /** This site paired with another (either side). */
  'site.paired': 'info',
  /** A pairing ended, here or at the peer. */
  'site.unpaired': 'warning',
  /** A pairing attempt was refused: a wrong or used code, certificates that do not match, or the peer said no. */
  'site.pairing-refused': 'warning',
  /** A user was refused for lack of a privilege: once per burst of refusals of one user and privilege. */
  'privilege.refused': 'warning',
  /** A VM's copy at its DR site is older than its RPO, or the site holds none. */
  'replication.lagging': 'warning',
  'replication.recovered': 'info',
  /** The backup store's file system is below 10 % free. */
  'store.low': 'warning',
  /** The store is down to its reserve: new backups cannot be stored. */
  'store.full': 'critical',
  'store.ok': 'info',
  /** The daily summary, to the e-mail channel that asks for it. */
  'lifeline.summary': 'info',
  /** Sent by "Send test" to one channel only. */
  'lifeline.test': 'info',
} as const satisfies Record<string, EventSeverity>;

export type EventType = keyof typeof EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

export function isEventType(s: string): s is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_TYPES, s);
}

/** The VM an event is about, as vCenter names it. */
export interface EventVm extends VmRef {
  name?: string;
}

/** What a producer hands to the outbox. */
export interface NewEvent {
  type: EventType;
  /** Defaults to the type's severity. */
  severity?: EventSeverity;
  /** One line a person can read, e.g. "Backup of DC0_C0_VM0 failed: the VM is busy". */
  message: string;
  vm?: EventVm | null;
  /** A paired site's id, for replication and pairing events. */
  site?: string | null;
  jobId?: string | null;
  pointId?: string | null;
  /** More facts of the type, e.g. the error of a failed job. JSON. */
  data?: Record<string, unknown>;
}

/** An event as recorded in the outbox and delivered to every channel. */
export interface LifelineEvent {
  /** Stable and unique: receivers de-duplicate on it (a webhook's `webhook-id`). */
  id: string;
  /** Order of recording; higher is later. */
  seq: number;
  type: EventType;
  severity: EventSeverity;
  /** ISO-8601 UTC. */
  at: string;
  message: string;
  vm: EventVm | null;
  site: string | null;
  jobId: string | null;
  pointId: string | null;
  data: Record<string, unknown>;
}

export function severityRank(s: EventSeverity): number {
  return SEVERITIES.indexOf(s);
}
