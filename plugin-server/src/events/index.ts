// Events out: every fact worth telling an administrator (a failed backup, a VM out of its RPO,
// damage found by verification, …) recorded once in an outbox in the server's database and
// delivered to each configured channel (signed webhooks, syslog, e-mail with a daily summary, vCenter's event log on the VM), and
// the Prometheus metrics with retries that survive
// restarts; what could not be delivered stays visible in the delivery log.
export { EVENTS_RETENTION, EventsService } from './events-service.js';
export type { EventsRetention, EventsServiceOptions, SendTestResult } from './events-service.js';
export { EVENT_TYPES, EVENT_TYPE_NAMES, SEVERITIES, isEventType } from './event.js';
export type { EventSeverity, EventType, EventVm, LifelineEvent, NewEvent } from './event.js';
export { CHANNEL_KINDS, filterAccepts, validateChannelInput, validateFilter, validateWebhookSecret } from './channel.js';
export type { Channel, ChannelFilter, ChannelInput, ChannelKind, EmailSettings, SyslogSettings, VcenterSettings, WebhookSettings } from './channel.js';
export { SqliteEventsStore } from './events-store.js';
export type { DeliveryCounts, DeliveryLogEntry, DeliveryState } from './events-store.js';
export { DEFAULT_DELIVERY_RETRY, EventDispatcher } from './dispatcher.js';
export type { ChannelSender, SettledDelivery } from './dispatcher.js';
export { signWebhook, webhookBody } from './webhook.js';
export { syslogLine } from './syslog.js';
export { vcenterEventTypeId } from './vcenter-sender.js';
export type { VcenterSenderOptions } from './vcenter-sender.js';
export { serverSummary, summaryText } from './daily-summary.js';
export type { SummaryFacts, SummaryParts, SummarySource } from './daily-summary.js';
export { emailOf } from './email.js';
export { createMetrics } from './metrics.js';
export type { ComplianceFact, LifelineMetrics, MetricsSources, StoreFacts } from './metrics.js';
export { replicationFacts, storeLevel, watchConditions } from './conditions.js';
export type { ConditionSources, ReplicationFact, StoreSpaceFact } from './conditions.js';
