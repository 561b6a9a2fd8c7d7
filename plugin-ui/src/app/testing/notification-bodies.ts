/**
 * Bodies of the notifications API as its routes answer them, with every field they write, for the
 * specs of the Notifications view. server-bodies.spec.ts checks each against the schema the
 * OpenAPI document gives it.
 */

type Body = Record<string, unknown>;

export const WEBHOOK_ID = '3c0d9a5e-6f1b-4c2a-9e7d-1a2b3c4d5e6f';
export const SYSLOG_ID = '8b7a6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d';

export function webhookChannelBody(overrides: Body = {}): Body {
  return {
    id: WEBHOOK_ID,
    name: 'SOAR intake',
    kind: 'webhook',
    enabled: true,
    filter: { types: ['backup.failed', 'rpo.*'], minSeverity: 'info' },
    settings: { url: 'https://soar.example.com/hooks/lifeline', caPem: null },
    secretSet: true,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-01T08:00:00.000Z',
    deliveries: { pending: 1, delivered: 12, dead: 2 },
    ...overrides,
  };
}

export function syslogChannelBody(overrides: Body = {}): Body {
  return {
    id: SYSLOG_ID,
    name: 'SIEM',
    kind: 'syslog',
    enabled: false,
    filter: { types: [], minSeverity: 'warning' },
    settings: { transport: 'tls', host: 'siem.example.com', port: 6514, caPem: null },
    secretSet: false,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-02T09:30:00.000Z',
    deliveries: { pending: 0, delivered: 40, dead: 0 },
    ...overrides,
  };
}

export function emailChannelBody(overrides: Body = {}): Body {
  return {
    id: 'e1d2c3b4-a596-4877-8899-aabbccddeeff',
    name: 'Backup team',
    kind: 'email',
    enabled: true,
    filter: { types: [], minSeverity: 'error' },
    settings: {
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      user: 'lifeline',
      passwordFile: '/etc/lifeline/smtp.password',
      from: 'lifeline@example.com',
      to: ['backup-team@example.com', 'oncall@example.com'],
      caPem: null,
      dailySummaryAt: '07:00',
    },
    secretSet: false,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-01T08:00:00.000Z',
    deliveries: { pending: 0, delivered: 3, dead: 0 },
    ...overrides,
  };
}

export function vcenterChannelBody(overrides: Body = {}): Body {
  return {
    id: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    name: 'vCenter',
    kind: 'vcenter',
    enabled: true,
    filter: { types: [], minSeverity: 'info' },
    settings: {},
    secretSet: false,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-01T08:00:00.000Z',
    deliveries: { pending: 0, delivered: 20, dead: 0 },
    ...overrides,
  };
}

export function channelListBody(items: readonly unknown[] = [webhookChannelBody(), syslogChannelBody()]): Body {
  return { items };
}

export function testResultBody(overrides: Body = {}): Body {
  return { delivered: true, detail: 'HTTP 204', eventId: '0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', ...overrides };
}

export function deliveryBody(overrides: Body = {}): Body {
  return {
    id: 41,
    eventId: '0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
    eventType: 'backup.failed',
    channelId: WEBHOOK_ID,
    attempt: 1,
    at: '2026-12-06T10:00:00.000Z',
    outcome: 'delivered',
    detail: 'HTTP 204',
    durationMs: 35,
    ...overrides,
  };
}

export function deliveryLogBody(items: readonly unknown[] = [deliveryBody()]): Body {
  return { items };
}

/** `GET /api/v1/vms/{vm}/events`: a failed backup after one that succeeded. */
export function vmEventsBody(items?: readonly unknown[]): Body {
  return {
    items: items ?? [
      {
        id: 'evt_2b',
        type: 'backup.failed',
        severity: 'error',
        at: '2026-12-06T10:05:00.000Z',
        message: 'Backup of erp-01 failed: the VM is busy with another task',
        jobId: 'job-2',
        pointId: null,
      },
      { id: 'evt_1a', type: 'backup.succeeded', severity: 'info', at: '2026-12-06T09:00:00.000Z', message: 'Backup of erp-01 succeeded', jobId: 'job-1', pointId: 'pt-1' },
    ],
  };
}
