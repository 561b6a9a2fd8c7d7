import { FormControl, FormGroup } from '@angular/forms';

import type { ChannelInput, ChannelKind, EmailSecurity, EventSeverity, NotificationChannel, SyslogTransport } from './notifications-api.types';

/**
 * The Add / Edit channel form: one flat group holding every kind's fields, of which the form shows
 * and sends only the chosen kind's. Checking is the server's: it names the field it refuses, and
 * the form shows that message beside the field (`fieldOf` maps the server's names to controls).
 * The webhook secret starts empty and is sent only when typed: the server never gives it back,
 * and an edit without it keeps the stored one.
 */
export type ChannelForm = FormGroup<{
  name: FormControl<string>;
  kind: FormControl<ChannelKind>;
  enabled: FormControl<boolean>;
  /** Event types or families, separated by commas or spaces; empty: all. */
  types: FormControl<string>;
  minSeverity: FormControl<EventSeverity>;
  url: FormControl<string>;
  secret: FormControl<string>;
  caPem: FormControl<string>;
  transport: FormControl<SyslogTransport>;
  host: FormControl<string>;
  port: FormControl<string>;
  security: FormControl<EmailSecurity>;
  user: FormControl<string>;
  passwordFile: FormControl<string>;
  from: FormControl<string>;
  to: FormControl<string>;
  dailySummaryAt: FormControl<string>;
}>;

export type ChannelFormField = keyof ChannelForm['controls'];

function control<T>(value: T): FormControl<T> {
  return new FormControl<T>(value, { nonNullable: true });
}

export function channelForm(channel?: NotificationChannel): ChannelForm {
  const s = channel?.settings as Record<string, unknown> | undefined;
  const text = (key: string, fallback = ''): string => {
    const value = s?.[key];
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
  };
  return new FormGroup({
    name: control(channel?.name ?? ''),
    kind: control<ChannelKind>(channel?.kind ?? 'webhook'),
    enabled: control(channel?.enabled ?? true),
    types: control(channel?.filter.types.join(', ') ?? ''),
    minSeverity: control<EventSeverity>(channel?.filter.minSeverity ?? 'info'),
    url: control(text('url')),
    secret: control(''),
    caPem: control(text('caPem')),
    transport: control<SyslogTransport>((s?.['transport'] as SyslogTransport | undefined) ?? 'tls'),
    host: control(text('host')),
    port: control(text('port')),
    security: control<EmailSecurity>((s?.['security'] as EmailSecurity | undefined) ?? 'starttls'),
    user: control(text('user')),
    passwordFile: control(text('passwordFile')),
    from: control(text('from')),
    to: control(Array.isArray(s?.['to']) ? (s['to'] as string[]).join(', ') : ''),
    dailySummaryAt: control(text('dailySummaryAt')),
  });
}

function list(value: string): string[] {
  return value
    .split(/[\s,;]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function orNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** A port as typed; what is not a number goes as typed so the server names the field. */
function port(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** The body the server takes for the form's kind. */
export function channelInput(form: ChannelForm): ChannelInput {
  const v = form.getRawValue();
  const common = { name: v.name.trim(), kind: v.kind, enabled: v.enabled, filter: { types: list(v.types), minSeverity: v.minSeverity } };
  switch (v.kind) {
    case 'webhook':
      return { ...common, settings: { url: v.url.trim(), caPem: orNull(v.caPem) }, ...(v.secret.trim() === '' ? {} : { secret: v.secret.trim() }) };
    case 'syslog':
      return { ...common, settings: { transport: v.transport, host: v.host.trim(), port: port(v.port), caPem: v.transport === 'tls' ? orNull(v.caPem) : null } };
    case 'email':
      return {
        ...common,
        settings: {
          host: v.host.trim(),
          port: port(v.port),
          security: v.security,
          user: orNull(v.user),
          passwordFile: orNull(v.passwordFile),
          from: v.from.trim(),
          to: list(v.to),
          caPem: orNull(v.caPem),
          dailySummaryAt: orNull(v.dailySummaryAt),
        },
      };
    case 'vcenter':
      return { ...common, settings: {} };
  }
}

/**
 * The control a field the server names belongs to (`settings.url`, `filter.types[2]`, `secret`),
 * or null for one the form does not show.
 */
export function fieldOf(serverField: string): ChannelFormField | null {
  const path = serverField.replace(/\[\d+\]$/, '');
  const name = path.startsWith('settings.') ? path.slice('settings.'.length) : path.startsWith('filter.') ? path.slice('filter.'.length) : path;
  const known: readonly ChannelFormField[] = ['name', 'kind', 'enabled', 'types', 'minSeverity', 'url', 'secret', 'caPem', 'transport', 'host', 'port', 'security', 'user', 'passwordFile', 'from', 'to', 'dailySummaryAt'];
  return (known as readonly string[]).includes(name) ? (name as ChannelFormField) : null;
}
