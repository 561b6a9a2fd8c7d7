import { Injectable, inject } from '@angular/core';

import type { Job } from '../api/job';
import { isNumber, isNumberOrNull, isRecord, isString, isStringOrNull } from '../api/json-reader';
import { LifelineApi } from '../api/lifeline-api';
import { vmPath } from '../api/vm-protection';
import type {
  LinkState,
  LinkStats,
  PairRequest,
  PairingCode,
  Peer,
  ReplicaRetention,
  ReplicationJobResult,
  ReplicationSettings,
  ReplicationWindow,
  SiteProbe,
  SiteSelf,
  Sites,
  VmReplication,
  VmReplicationState,
} from './sites-api.types';

export const SITES_PATH = '/api/v1/sites';
export const PAIRING_CODES_PATH = '/api/v1/sites/pairing-codes';
export const PROBE_PATH = '/api/v1/sites/probe';

export const LINK_STATES = ['idle', 'replicating', 'unreachable', 'refused'] as const satisfies readonly LinkState[];
export const VM_REPLICATION_STATES = ['not-configured', 'ok', 'lagging', 'failing', 'site-not-paired'] as const satisfies readonly VmReplicationState[];

/** Error codes of the sites API the pairing wizard explains beside the server's own message. */
export const SITE_ERROR_CODES = {
  alreadyPaired: 'site-paired',
  codeInvalid: 'pairing-code-invalid',
  unreachable: 'site-unreachable',
  thumbprintMismatch: 'site-thumbprint-mismatch',
  /** Something answers at the address, but not as a Lifeline site listener. */
  notASite: 'site-error',
} as const;

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

function isCount(value: unknown): value is number {
  return isNumber(value) && Number.isInteger(value) && value >= 0;
}

function readWindow(body: unknown): ReplicationWindow | null | undefined {
  if (body === null) {
    return null;
  }
  if (!isRecord(body)) {
    return undefined;
  }
  const { from, to, bandwidthMBps } = body;
  return isString(from) && HH_MM.test(from) && isString(to) && HH_MM.test(to) && isNumber(bandwidthMBps) && bandwidthMBps > 0
    ? { from, to, bandwidthMBps }
    : undefined;
}

function readRetention(body: unknown): ReplicaRetention | null {
  if (!isRecord(body)) {
    return null;
  }
  const { keepLast, daily, weekly, monthly } = body;
  return isCount(keepLast) && isCount(daily) && isCount(weekly) && isCount(monthly) ? { keepLast, daily, weekly, monthly } : null;
}

export function readReplicationSettings(body: unknown): ReplicationSettings | null {
  if (!isRecord(body)) {
    return null;
  }
  const { bandwidthMBps, immutableDays, maxConcurrentVms } = body;
  const window = readWindow(body['window']);
  const retention = readRetention(body['retention']);
  if (
    !(bandwidthMBps === null || (isNumber(bandwidthMBps) && bandwidthMBps > 0)) ||
    window === undefined ||
    retention === null ||
    !isCount(immutableDays) ||
    !isCount(maxConcurrentVms)
  ) {
    return null;
  }
  return { bandwidthMBps, window, retention, immutableDays, maxConcurrentVms };
}

function readLinkStats(body: unknown): LinkStats | null | undefined {
  if (body === null) {
    return null;
  }
  if (!isRecord(body)) {
    return undefined;
  }
  const { state, lastContactAt, lastError, bytesSent, throughputBps, backlogPoints } = body;
  if (
    !(LINK_STATES as readonly unknown[]).includes(state) ||
    !isStringOrNull(lastContactAt) ||
    !isStringOrNull(lastError) ||
    !isNumber(bytesSent) ||
    bytesSent < 0 ||
    !isNumber(throughputBps) ||
    throughputBps < 0 ||
    !isCount(backlogPoints)
  ) {
    return undefined;
  }
  return { state: state as LinkState, lastContactAt, lastError, bytesSent, throughputBps, backlogPoints };
}

export function readPeer(body: unknown): Peer | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, name, thumbprint, url, role, pairedAt } = body;
  const unpairedByPeerAt = body['unpairedByPeerAt'] ?? null;
  const settings = readReplicationSettings(body['settings']);
  const link = readLinkStats(body['link']);
  if (
    (unpairedByPeerAt !== null && !isString(unpairedByPeerAt)) ||
    !isString(id) ||
    !isString(name) ||
    !isString(thumbprint) ||
    !isString(url) ||
    (role !== 'source' && role !== 'target') ||
    !isString(pairedAt) ||
    settings === null ||
    link === undefined
  ) {
    return null;
  }
  return { id, name, thumbprint, url, role, pairedAt, settings, unpairedByPeerAt, link };
}

function readSelf(body: unknown): SiteSelf | null {
  if (!isRecord(body)) {
    return null;
  }
  const { name, siteUrl, thumbprint } = body;
  return isString(name) && isString(siteUrl) && isString(thumbprint) ? { name, siteUrl, thumbprint } : null;
}

export function readSites(body: unknown): Sites | null {
  if (!isRecord(body) || !Array.isArray(body['peers'])) {
    return null;
  }
  const self = readSelf(body['self']);
  const peers = (body['peers'] as unknown[]).map(readPeer);
  return self === null || !peers.every((p): p is Peer => p !== null) ? null : { self, peers };
}

export function readPairingCode(body: unknown): PairingCode | null {
  if (!isRecord(body)) {
    return null;
  }
  const { code, expiresAt, thumbprint, siteUrl } = body;
  return isString(code) && code !== '' && isString(expiresAt) && !Number.isNaN(Date.parse(expiresAt)) && isString(thumbprint) && isString(siteUrl)
    ? { code, expiresAt, thumbprint, siteUrl }
    : null;
}

export function readSiteProbe(body: unknown): SiteProbe | null {
  if (!isRecord(body)) {
    return null;
  }
  const { name, thumbprint, url } = body;
  return isString(name) && isString(thumbprint) && thumbprint !== '' && isString(url) ? { name, thumbprint, url } : null;
}

export function readVmReplication(body: unknown): VmReplication | null {
  if (!isRecord(body)) {
    return null;
  }
  const { state, lastReplicatedPointId, lastReplicatedAt, lagSeconds, rpoSeconds, rpoMet, lastError, backlogPoints } = body;
  const site = body['site'];
  const siteRef = site === null ? null : isRecord(site) && isString(site['id']) && isString(site['name']) ? { id: site['id'], name: site['name'] } : undefined;
  if (
    siteRef === undefined ||
    !(VM_REPLICATION_STATES as readonly unknown[]).includes(state) ||
    !isStringOrNull(lastReplicatedPointId) ||
    !isStringOrNull(lastReplicatedAt) ||
    !isNumberOrNull(lagSeconds) ||
    !isNumberOrNull(rpoSeconds) ||
    !(rpoMet === null || typeof rpoMet === 'boolean') ||
    !isStringOrNull(lastError) ||
    !isCount(backlogPoints)
  ) {
    return null;
  }
  return {
    site: siteRef,
    state: state as VmReplicationState,
    lastReplicatedPointId,
    lastReplicatedAt,
    lagSeconds,
    rpoSeconds,
    rpoMet,
    lastError,
    backlogPoints,
  };
}

/** What a `replication` job sent, from its result; null for other jobs and before it has one. */
export function replicationResultOf(job: Pick<Job, 'kind' | 'result'>): ReplicationJobResult | null {
  const result = job.result;
  if (job.kind !== 'replication' || !isRecord(result)) {
    return null;
  }
  const { site, pointId, chunks, chunksSent, bytesSent, present } = result;
  return isString(site) && isString(pointId) && isCount(chunks) && isCount(chunksSent) && isCount(bytesSent) && typeof present === 'boolean'
    ? { site, pointId, chunks, chunksSent, bytesSent, present }
    : null;
}

function sitePath(id: string): string {
  return `${SITES_PATH}/${encodeURIComponent(id)}`;
}

/**
 * The sites API as the Sites view and the pairing wizard call it. Reading needs a vSphere session;
 * everything that changes a pairing needs Lifeline's Admin privilege, which the server checks.
 */
@Injectable({ providedIn: 'root' })
export class SitesApi {
  private readonly api = inject(LifelineApi);

  sites(signal?: AbortSignal): Promise<Sites> {
    return this.api.get(SITES_PATH, readSites, signal);
  }

  /** On the DR site: a one-time code for the production site's administrator to pair with. */
  allowPairing(signal?: AbortSignal): Promise<PairingCode> {
    return this.api.post(PAIRING_CODES_PATH, {}, readPairingCode, signal);
  }

  /** What the site at `url` presents, for the administrator to compare with what that site shows. */
  probe(url: string, signal?: AbortSignal): Promise<SiteProbe> {
    return this.api.post(PROBE_PATH, { url }, readSiteProbe, signal);
  }

  pair(request: PairRequest, signal?: AbortSignal): Promise<Peer> {
    return this.api.post(SITES_PATH, request, readPeer, signal);
  }

  /** Members left out keep their value; each side may change only its own part (see ownSettingsPart). */
  updateSettings(peerId: string, settings: Partial<ReplicationSettings>, signal?: AbortSignal): Promise<Peer> {
    return this.api.patch(sitePath(peerId), { settings }, readPeer, signal);
  }

  unpair(peerId: string, signal?: AbortSignal): Promise<void> {
    return this.api.delete(sitePath(peerId), signal);
  }

  vmReplication(vmId: string, signal?: AbortSignal): Promise<VmReplication> {
    return this.api.get(`${vmPath(vmId)}/replication`, readVmReplication, signal);
  }
}
