import { Injectable, inject } from '@angular/core';

import { isNumber, isRecord, isString, isStringOrNull } from '../api/json-reader';
import { LifelineApi } from '../api/lifeline-api';
import type {
  ChannelFilter,
  ChannelInput,
  ChannelKind,
  ChannelTestResult,
  DeliveryCounts,
  DeliveryLogEntry,
  DeliveryOutcome,
  EmailSettings,
  EventSeverity,
  NotificationChannel,
  SyslogSettings,
  WebhookSettings,
} from './notifications-api.types';

export const CHANNELS_PATH = '/api/v1/notifications/channels';
export const DELIVERIES_PATH = '/api/v1/notifications/deliveries';

export const CHANNEL_KINDS = ['webhook', 'email', 'syslog', 'vcenter'] as const satisfies readonly ChannelKind[];
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const satisfies readonly EventSeverity[];
export const DELIVERY_OUTCOMES = ['delivered', 'retry', 'dead'] as const satisfies readonly DeliveryOutcome[];

/** How many attempts the delivery log shows. */
export const DELIVERY_LOG_LIMIT = 50;

function isCount(value: unknown): value is number {
  return isNumber(value) && Number.isInteger(value) && value >= 0;
}

function isPort(value: unknown): value is number {
  return isNumber(value) && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function optionalStringOrNull(value: unknown): string | null | undefined {
  if (value === undefined || value === null) {
    return null;
  }
  return isString(value) ? value : undefined;
}

function readStrings(value: unknown): string[] | null {
  return Array.isArray(value) && (value as unknown[]).every(isString) ? [...(value as string[])] : null;
}

function readFilter(body: unknown): ChannelFilter | null {
  if (!isRecord(body)) {
    return null;
  }
  const types = readStrings(body['types'] ?? []);
  const minSeverity = body['minSeverity'] ?? 'info';
  return types !== null && (SEVERITIES as readonly unknown[]).includes(minSeverity) ? { types, minSeverity: minSeverity as EventSeverity } : null;
}

function readCounts(body: unknown): DeliveryCounts | null {
  if (!isRecord(body)) {
    return null;
  }
  const { pending, delivered, dead } = body;
  return isCount(pending) && isCount(delivered) && isCount(dead) ? { pending, delivered, dead } : null;
}

function readWebhook(body: Record<string, unknown>): WebhookSettings | null {
  const caPem = optionalStringOrNull(body['caPem']);
  return isString(body['url']) && caPem !== undefined ? { url: body['url'], caPem } : null;
}

function readSyslog(body: Record<string, unknown>): SyslogSettings | null {
  const { transport, host, port } = body;
  const caPem = optionalStringOrNull(body['caPem']);
  return (transport === 'udp' || transport === 'tcp' || transport === 'tls') && isString(host) && isPort(port) && caPem !== undefined
    ? { transport, host, port, caPem }
    : null;
}

function readEmail(body: Record<string, unknown>): EmailSettings | null {
  const { host, port, security, from } = body;
  const to = readStrings(body['to']);
  const user = optionalStringOrNull(body['user']);
  const passwordFile = optionalStringOrNull(body['passwordFile']);
  const caPem = optionalStringOrNull(body['caPem']);
  const dailySummaryAt = optionalStringOrNull(body['dailySummaryAt']);
  if (
    !isString(host) ||
    !isPort(port) ||
    !(security === 'tls' || security === 'starttls' || security === 'none') ||
    !isString(from) ||
    to === null ||
    user === undefined ||
    passwordFile === undefined ||
    caPem === undefined ||
    dailySummaryAt === undefined
  ) {
    return null;
  }
  return { host, port, security, user, passwordFile, from, to, caPem, dailySummaryAt };
}

export function readChannel(body: unknown): NotificationChannel | null {
  if (!isRecord(body) || !isRecord(body['settings'])) {
    return null;
  }
  const { id, name, kind, enabled, secretSet, createdAt, updatedAt } = body;
  const filter = readFilter(body['filter']);
  const deliveries = readCounts(body['deliveries']);
  if (!isString(id) || !isString(name) || typeof enabled !== 'boolean' || typeof secretSet !== 'boolean' || !isString(createdAt) || !isString(updatedAt) || filter === null || deliveries === null) {
    return null;
  }
  const common = { id, name, enabled, filter, secretSet, createdAt, updatedAt, deliveries };
  const settings = body['settings'];
  switch (kind) {
    case 'webhook': {
      const read = readWebhook(settings);
      return read === null ? null : { ...common, kind, settings: read };
    }
    case 'syslog': {
      const read = readSyslog(settings);
      return read === null ? null : { ...common, kind, settings: read };
    }
    case 'email': {
      const read = readEmail(settings);
      return read === null ? null : { ...common, kind, settings: read };
    }
    case 'vcenter':
      return { ...common, kind, settings: {} };
    default:
      return null;
  }
}

function readItems<T>(body: unknown, read: (item: unknown) => T | null): T[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items: T[] = [];
  for (const raw of body['items'] as unknown[]) {
    const item = read(raw);
    if (item === null) {
      return null;
    }
    items.push(item);
  }
  return items;
}

export function readChannels(body: unknown): NotificationChannel[] | null {
  return readItems(body, readChannel);
}

export function readTestResult(body: unknown): ChannelTestResult | null {
  if (!isRecord(body)) {
    return null;
  }
  const { delivered, detail, eventId } = body;
  return typeof delivered === 'boolean' && isString(detail) && isString(eventId) ? { delivered, detail, eventId } : null;
}

export function readDeliveryEntry(body: unknown): DeliveryLogEntry | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, eventId, eventType, channelId, attempt, at, outcome, detail, durationMs } = body;
  return isCount(id) &&
    isString(eventId) &&
    isString(eventType) &&
    isString(channelId) &&
    isCount(attempt) &&
    isString(at) &&
    (DELIVERY_OUTCOMES as readonly unknown[]).includes(outcome) &&
    isStringOrNull(detail) &&
    isNumber(durationMs)
    ? { id, eventId, eventType, channelId, attempt, at, outcome: outcome as DeliveryOutcome, detail: detail ?? '', durationMs }
    : null;
}

export function readDeliveryLog(body: unknown): DeliveryLogEntry[] | null {
  return readItems(body, readDeliveryEntry);
}

/**
 * The notifications API as the Notifications view calls it. Every call needs Lifeline's Admin
 * privilege on the root of every vCenter the server serves (a channel receives every VM's
 * events); the server refuses others with 403, which the view shows as what to ask for.
 */
@Injectable({ providedIn: 'root' })
export class NotificationsApi {
  private readonly api = inject(LifelineApi);

  channels(signal?: AbortSignal): Promise<NotificationChannel[]> {
    return this.api.get(CHANNELS_PATH, readChannels, signal);
  }

  create(input: ChannelInput, signal?: AbortSignal): Promise<NotificationChannel> {
    return this.api.post(CHANNELS_PATH, input, readChannel, signal);
  }

  /** Without `secret` in `input`, the server keeps the stored one. */
  replace(id: string, input: ChannelInput, signal?: AbortSignal): Promise<NotificationChannel> {
    return this.api.put(`${CHANNELS_PATH}/${encodeURIComponent(id)}`, input, readChannel, signal);
  }

  remove(id: string, signal?: AbortSignal): Promise<void> {
    return this.api.delete(`${CHANNELS_PATH}/${encodeURIComponent(id)}`, signal);
  }

  /** One attempt of a `lifeline.test` event to the channel; the answer says whether it went through. */
  test(id: string, signal?: AbortSignal): Promise<ChannelTestResult> {
    return this.api.post(`${CHANNELS_PATH}/${encodeURIComponent(id)}/test`, {}, readTestResult, signal);
  }

  /** The newest attempts first: of one channel or all, older than the entry `before` (paging on). */
  deliveries(signal?: AbortSignal, page: { channelId?: string; before?: number } = {}): Promise<DeliveryLogEntry[]> {
    const query = new URLSearchParams({ limit: String(DELIVERY_LOG_LIMIT) });
    if (page.channelId !== undefined) {
      query.set('channelId', page.channelId);
    }
    if (page.before !== undefined) {
      query.set('before', String(page.before));
    }
    return this.api.get(`${DELIVERIES_PATH}?${query.toString()}`, readDeliveryLog, signal);
  }
}
