/**
 * A channel is one place events go (a webhook URL, a syslog receiver, …) with the filter that
 * picks which events it gets. Configuration is checked here, field by field, so that a bad one is
 * refused with the field named before it is stored; secrets are taken in but never handed out.
 */
import { ValidationError } from '../errors/index.js';
import { SEVERITIES, isEventType, severityRank, type EventSeverity, type LifelineEvent } from './event.js';

export type ChannelKind = 'webhook' | 'syslog' | 'vcenter' | 'email';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'syslog', 'vcenter', 'email'];

export interface ChannelFilter {
  /** Event type names, or a family as `backup.*`; empty: every type. */
  types: string[];
  /** Events below this severity are left out. */
  minSeverity: EventSeverity;
}

export interface WebhookSettings {
  /** An https URL. */
  url: string;
  /** PEM certificates to trust for this receiver besides the system's, e.g. a private CA. */
  caPem: string | null;
  /** `point.created` events carry download links of the new point's disks (export-links.ts). */
  exportLinks: boolean;
}

export interface SyslogSettings {
  transport: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  caPem: string | null;
}

export interface EmailSettings {
  host: string;
  port: number;
  /** tls: TLS from the start (465); starttls: the server must upgrade (587); none: plain (a local relay). */
  security: 'tls' | 'starttls' | 'none';
  /** SMTP user, or null to send without authentication. */
  user: string | null;
  /** Absolute path of a file (mode 0600) on the Lifeline server holding the SMTP password. */
  passwordFile: string | null;
  from: string;
  to: string[];
  caPem: string | null;
  /** A summary mail once a day at this UTC time (HH:MM), or null for none. */
  dailySummaryAt: string | null;
}

/** vCenter channels post on each event's VM in its own vCenter; nothing to set. */
export type VcenterSettings = Record<string, never>;

export type ChannelSettings = { kind: 'webhook'; settings: WebhookSettings } | { kind: 'syslog'; settings: SyslogSettings } | { kind: 'vcenter'; settings: VcenterSettings }
  | { kind: 'email'; settings: EmailSettings };

export type Channel = ChannelSettings & {
  id: string;
  name: string;
  enabled: boolean;
  filter: ChannelFilter;
  /** Whether a secret is stored; the secret itself is never returned. */
  secretSet: boolean;
  createdAt: string;
  updatedAt: string;
};

/** What a client sends to create or replace a channel. */
export type ChannelInput = ChannelSettings & {
  name: string;
  enabled: boolean;
  filter: ChannelFilter;
  /** Webhooks: the signing secret, `whsec_` and base64. Omitted on replace: the stored one is kept. */
  secret?: string;
};

const FILTER_TYPE = /^[a-z]+(\.[a-z-]+|\.\*)$/;

function fail(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, { field });
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string, max = 2048): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) fail(field, `must be a string of 1 to ${max} characters`);
  return v;
}

function optPem(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  const pem = str(v, field, 65536);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) fail(field, 'must hold PEM certificates');
  return pem;
}

function only(o: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${prefix}${k}`, 'is not a known field');
}

export function validateFilter(v: unknown): ChannelFilter {
  if (v === undefined) return { types: [], minSeverity: 'info' };
  const o = obj(v, 'filter');
  only(o, ['types', 'minSeverity'], 'filter.');
  const types = o.types ?? [];
  if (!Array.isArray(types) || types.length > 100) fail('filter.types', 'must be a list of at most 100 event types');
  (types as unknown[]).forEach((t, i) => {
    if (typeof t !== 'string' || !FILTER_TYPE.test(t) || (!t.endsWith('.*') && !isEventType(t))) fail(`filter.types[${i}]`, `is not an event type or a family like "backup.*"`);
  });
  const minSeverity = o.minSeverity ?? 'info';
  if (typeof minSeverity !== 'string' || !(SEVERITIES as readonly string[]).includes(minSeverity)) fail('filter.minSeverity', `must be one of ${SEVERITIES.join(', ')}`);
  return { types: types as string[], minSeverity: minSeverity as EventSeverity };
}

/** Whether the channel's filter lets the event through. */
export function filterAccepts(filter: ChannelFilter, event: Pick<LifelineEvent, 'type' | 'severity'>): boolean {
  if (event.type === 'lifeline.test' || event.type === 'lifeline.summary') return true;
  if (severityRank(event.severity) < severityRank(filter.minSeverity)) return false;
  if (filter.types.length === 0) return true;
  return filter.types.some((t) => (t.endsWith('.*') ? event.type.startsWith(t.slice(0, -1)) : event.type === t));
}

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes. */
export function validateWebhookSecret(v: unknown, field = 'secret'): string {
  const m = typeof v === 'string' ? SECRET.exec(v) : null;
  const bytes = m?.[1] ? Buffer.from(m[1], 'base64').length : 0;
  if (!m || bytes < 24 || bytes > 64) fail(field, 'must be "whsec_" followed by the base64 of 24 to 64 random bytes');
  return v as string;
}

function validateWebhook(v: unknown): WebhookSettings {
  const o = obj(v, 'settings');
  only(o, ['url', 'caPem', 'exportLinks'], 'settings.');
  const exportLinks = o.exportLinks ?? false;
  if (typeof exportLinks !== 'boolean') fail('settings.exportLinks', 'must be true or false');
  const raw = str(o.url, 'settings.url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail('settings.url', 'is not a URL');
  }
  if (url.protocol !== 'https:') fail('settings.url', 'must be an https URL');
  if (url.username || url.password) fail('settings.url', 'must not carry credentials; the receiver checks the signature');
  return { url: url.toString(), caPem: optPem(o.caPem, 'settings.caPem'), exportLinks };
}

function validateSyslog(v: unknown): SyslogSettings {
  const o = obj(v, 'settings');
  only(o, ['transport', 'host', 'port', 'caPem'], 'settings.');
  const transport = o.transport;
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') fail('settings.transport', 'must be udp, tcp or tls');
  const host = str(o.host, 'settings.host', 253);
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) fail('settings.host', 'must be a host name or an IP address');
  const port = o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail('settings.port', 'must be a port number from 1 to 65535');
  const caPem = optPem(o.caPem, 'settings.caPem');
  if (caPem !== null && transport !== 'tls') fail('settings.caPem', 'is only for the tls transport');
  return { transport, host, port, caPem };
}

const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

function validateEmail(v: unknown): EmailSettings {
  const o = obj(v, 'settings');
  only(o, ['host', 'port', 'security', 'user', 'passwordFile', 'from', 'to', 'caPem', 'dailySummaryAt'], 'settings.');
  const host = str(o.host, 'settings.host', 253);
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) fail('settings.host', 'must be a host name or an IP address');
  const port = o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail('settings.port', 'must be a port number from 1 to 65535');
  const security = o.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none') fail('settings.security', 'must be tls, starttls or none');
  const user = o.user === undefined || o.user === null ? null : str(o.user, 'settings.user', 320);
  const passwordFile = o.passwordFile === undefined || o.passwordFile === null ? null : str(o.passwordFile, 'settings.passwordFile', 4096);
  if (passwordFile !== null && !passwordFile.startsWith('/')) fail('settings.passwordFile', 'must be an absolute path on the Lifeline server');
  if (user !== null && passwordFile === null) fail('settings.passwordFile', 'is required with settings.user');
  if (user === null && passwordFile !== null) fail('settings.user', 'is required with settings.passwordFile');
  if (user !== null && security === 'none') fail('settings.security', 'must be tls or starttls when a password is sent');
  const from = str(o.from, 'settings.from', 320);
  if (!ADDRESS.test(from)) fail('settings.from', 'must be an e-mail address');
  if (!Array.isArray(o.to) || o.to.length === 0 || o.to.length > 50) fail('settings.to', 'must list 1 to 50 e-mail addresses');
  (o.to as unknown[]).forEach((t, i) => {
    if (typeof t !== 'string' || !ADDRESS.test(t) || t.length > 320) fail(`settings.to[${i}]`, 'must be an e-mail address');
  });
  const at = o.dailySummaryAt === undefined || o.dailySummaryAt === null ? null : o.dailySummaryAt;
  if (at !== null && (typeof at !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(at))) fail('settings.dailySummaryAt', 'must be a UTC time HH:MM');
  return { host, port, security, user, passwordFile, from, to: o.to as string[], caPem: optPem(o.caPem, 'settings.caPem'), dailySummaryAt: at };
}

/**
 * Checks a channel as a client sent it. `existingSecret` says whether the channel being replaced
 * already has a secret (a webhook needs one, given now or earlier).
 */
export function validateChannelInput(v: unknown, existingSecret = false): ChannelInput {
  const o = obj(v, 'body');
  only(o, ['name', 'kind', 'enabled', 'filter', 'settings', 'secret'], '');
  const name = str(o.name, 'name', 200);
  const enabled = o.enabled ?? true;
  if (typeof enabled !== 'boolean') fail('enabled', 'must be true or false');
  const filter = validateFilter(o.filter);
  switch (o.kind) {
    case 'webhook': {
      const settings = validateWebhook(o.settings);
      if (o.secret === undefined && !existingSecret) fail('secret', 'is required for a webhook');
      const secret = o.secret === undefined ? undefined : validateWebhookSecret(o.secret);
      return { kind: 'webhook', name, enabled, filter, settings, ...(secret === undefined ? {} : { secret }) };
    }
    case 'syslog':
      if (o.secret !== undefined) fail('secret', 'is not used by a syslog channel');
      return { kind: 'syslog', name, enabled, filter, settings: validateSyslog(o.settings) };
    case 'email':
      if (o.secret !== undefined) fail('secret', 'is not used by an e-mail channel; the SMTP password is read from settings.passwordFile');
      return { kind: 'email', name, enabled, filter, settings: validateEmail(o.settings) };
    case 'vcenter': {
      if (o.secret !== undefined) fail('secret', 'is not used by a vCenter channel');
      const settings = o.settings === undefined ? {} : obj(o.settings, 'settings');
      only(settings, [], 'settings.');
      return { kind: 'vcenter', name, enabled, filter, settings: {} };
    }
    default:
      fail('kind', `must be one of ${CHANNEL_KINDS.join(', ')}`);
  }
}
