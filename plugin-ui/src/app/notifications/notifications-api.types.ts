/**
 * The bodies of the notifications API (channels that take Lifeline's events out, their test and
 * the delivery log), as the server's OpenAPI document describes them (lifeline-api.generated.ts,
 * `npm run openapi:types`), under the names the Notifications view uses. The readers in
 * notifications-api.ts check the same shapes at run time.
 */
import type { components } from '../api/lifeline-api.generated';

type Schemas = components['schemas'];

export type ChannelKind = Schemas['NotificationChannel']['kind'];
export type EventSeverity = NonNullable<Schemas['NotificationFilter']['minSeverity']>;
/** Which events a channel gets: types (or families as `backup.*`; none: all) at or above a severity. */
export type ChannelFilter = Required<Schemas['NotificationFilter']>;
export type WebhookSettings = Schemas['WebhookSettings'];
export type SyslogSettings = Schemas['SyslogSettings'];
export type EmailSettings = Schemas['EmailSettings'];
export type SyslogTransport = SyslogSettings['transport'];
export type EmailSecurity = EmailSettings['security'];
/** How many of a channel's deliveries wait, went through, or were given up. */
export type DeliveryCounts = Schemas['NotificationChannel']['deliveries'];

interface ChannelCommon {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly filter: ChannelFilter;
  /** Whether a secret is stored; the secret itself never comes back. */
  readonly secretSet: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveries: DeliveryCounts;
}

/** `GET /api/v1/notifications/channels` items, with the settings told apart by `kind`. */
export type NotificationChannel = ChannelCommon &
  (
    | { readonly kind: 'webhook'; readonly settings: WebhookSettings }
    | { readonly kind: 'syslog'; readonly settings: SyslogSettings }
    | { readonly kind: 'email'; readonly settings: EmailSettings }
    | { readonly kind: 'vcenter'; readonly settings: Record<string, never> }
  );

/** `POST /api/v1/notifications/channels` and `PUT …/{id}` body. */
export type ChannelInput = Schemas['NotificationChannelInput'];
/** `POST /api/v1/notifications/channels/{id}/test` → 200. */
export type ChannelTestResult = Schemas['ChannelTestResult'];
/** One attempt in `GET /api/v1/notifications/deliveries`. */
export type DeliveryLogEntry = Schemas['DeliveryLog']['items'][number];
export type DeliveryOutcome = DeliveryLogEntry['outcome'];
