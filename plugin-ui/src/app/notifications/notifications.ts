import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ReactiveFormsModule } from '@angular/forms';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { GlobalView } from '../global/global-view';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { channelForm, channelInput, fieldOf, type ChannelForm, type ChannelFormField } from './channel-form';
import { CHANNEL_KINDS, DELIVERY_LOG_LIMIT, NotificationsApi, SEVERITIES } from './notifications-api';
import type { ChannelKind, ChannelTestResult, DeliveryLogEntry, EventSeverity, NotificationChannel } from './notifications-api.types';
import { SettingsNav } from './settings-nav';

type LoadState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready' }
  /** The user lacks Lifeline's Admin privilege everywhere: said as what to ask for, not as a failure. */
  | { readonly kind: 'forbidden'; readonly error: LifelineApiError }
  | { readonly kind: 'failed'; readonly error: LifelineApiError };

/** A Send test's outcome as the row shows it: the receiver's answer, or the call's failure. */
type TestOutcome = { readonly kind: 'sending' } | { readonly kind: 'answered'; readonly result: ChannelTestResult } | { readonly kind: 'failed'; readonly error: LifelineApiError };

const KIND_LABELS: Readonly<Record<ChannelKind, MessageKey>> = {
  webhook: 'notifications.kind.webhook',
  email: 'notifications.kind.email',
  syslog: 'notifications.kind.syslog',
  vcenter: 'notifications.kind.vcenter',
};

const SEVERITY_LABELS: Readonly<Record<EventSeverity, MessageKey>> = {
  info: 'notifications.severity.info',
  warning: 'notifications.severity.warning',
  error: 'notifications.severity.error',
  critical: 'notifications.severity.critical',
};

/**
 * Global > Settings > Notifications: where Lifeline's events go. Each channel (a webhook, e-mail,
 * syslog, or vCenter's own events on the VM) with its filter, its deliveries so far (delivered,
 * waiting, given up) and *Send test*, which sends one test event and shows the receiver's answer.
 * Lifeline Admins add, edit and remove channels; secrets are typed in and never shown again. The
 * delivery log below lists the latest attempts, those given up marked. The server answers only
 * Lifeline Admins; others are told which privilege they need.
 */
@Component({
  selector: 'll-notifications',
  imports: [ClrAlertModule, ClrModalModule, ClrSpinnerModule, GlobalView, MessagePipe, ProblemAlert, ReactiveFormsModule, SettingsNav, VsphereDatePipe],
  templateUrl: './notifications.html',
  styleUrl: './notifications.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Notifications {
  private readonly api = inject(NotificationsApi);
  protected readonly messages = inject(Messages);
  private readonly aborter = new AbortController();

  protected readonly kinds = CHANNEL_KINDS;
  protected readonly severities = SEVERITIES;
  protected readonly kindLabels = KIND_LABELS;
  protected readonly severityLabels = SEVERITY_LABELS;

  private readonly state = signal<LoadState>({ kind: 'loading' });
  protected readonly loading = computed(() => this.state().kind === 'loading');
  protected readonly ready = computed(() => this.state().kind === 'ready');
  protected readonly forbidden = computed(() => {
    const state = this.state();
    return state.kind === 'forbidden' ? state.error : null;
  });
  protected readonly loadError = computed(() => {
    const state = this.state();
    return state.kind === 'failed' ? state.error : null;
  });

  protected readonly channels = signal<readonly NotificationChannel[]>([]);
  protected readonly deliveries = signal<readonly DeliveryLogEntry[]>([]);
  protected readonly deliveriesError = signal<LifelineApiError | null>(null);
  /** The channel whose attempts the log shows; empty: all channels. */
  protected readonly logChannel = signal('');
  /** A full page came: older attempts may follow. */
  protected readonly moreDeliveries = signal(false);
  protected readonly readingOlder = signal(false);
  private readonly channelNames = computed(() => new Map(this.channels().map((c) => [c.id, c.name])));

  protected readonly tests = signal<Readonly<Record<string, TestOutcome>>>({});
  /** What the last change did, said in a success alert. */
  protected readonly done = signal<string | null>(null);

  /** The channel being edited; `null` inside: a new one. */
  protected readonly editing = signal<{ readonly channel: NotificationChannel | null } | null>(null);
  protected form: ChannelForm = channelForm();
  protected readonly formKind = signal<ChannelKind>('webhook');
  protected readonly saving = signal(false);
  protected readonly saveError = signal<LifelineApiError | null>(null);
  protected readonly fieldErrors = signal<Partial<Record<ChannelFormField, string>>>({});

  protected readonly removing = signal<NotificationChannel | null>(null);
  protected readonly removeBusy = signal(false);
  protected readonly removeError = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
  }

  protected channelName(id: string): string {
    return this.channelNames().get(id) ?? id;
  }

  /** Where a channel sends, in one line. */
  protected target(channel: NotificationChannel): string {
    switch (channel.kind) {
      case 'webhook':
        return channel.settings.url;
      case 'syslog':
        return `${channel.settings.transport}://${channel.settings.host}:${channel.settings.port}`;
      case 'email':
        return this.messages.text('notifications.target.email', { to: channel.settings.to.join(', '), host: channel.settings.host, port: channel.settings.port });
      case 'vcenter':
        return this.messages.text('notifications.target.vcenter');
    }
  }

  protected filterText(channel: NotificationChannel): string {
    const types = channel.filter.types.length === 0 ? this.messages.text('notifications.filter.all') : channel.filter.types.join(', ');
    return channel.filter.minSeverity === 'info'
      ? types
      : this.messages.text('notifications.filter.atLeast', { types, severity: this.messages.text(SEVERITY_LABELS[channel.filter.minSeverity]) });
  }

  protected add(): void {
    this.open(null);
  }

  protected edit(channel: NotificationChannel): void {
    this.open(channel);
  }

  private open(channel: NotificationChannel | null): void {
    this.form = channelForm(channel ?? undefined);
    this.formKind.set(this.form.controls.kind.value);
    this.form.controls.kind.valueChanges.subscribe((kind) => this.formKind.set(kind));
    this.saveError.set(null);
    this.fieldErrors.set({});
    this.done.set(null);
    this.editing.set({ channel });
  }

  protected closeForm(): void {
    this.editing.set(null);
  }

  protected async save(): Promise<void> {
    const editing = this.editing();
    if (editing === null || this.saving()) {
      return;
    }
    this.saving.set(true);
    this.saveError.set(null);
    this.fieldErrors.set({});
    try {
      const input = channelInput(this.form);
      const saved = editing.channel === null ? await this.api.create(input, this.aborter.signal) : await this.api.replace(editing.channel.id, input, this.aborter.signal);
      this.editing.set(null);
      this.done.set(this.messages.text(editing.channel === null ? 'notifications.added' : 'notifications.saved', { name: saved.name }));
      await this.load();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => {
        const byField: Partial<Record<ChannelFormField, string>> = {};
        for (const fault of e.errors) {
          const field = fieldOf(fault.field);
          if (field !== null && byField[field] === undefined) {
            byField[field] = fault.message;
          }
        }
        this.fieldErrors.set(byField);
        this.saveError.set(e);
      });
    } finally {
      this.saving.set(false);
    }
  }

  protected async sendTest(channel: NotificationChannel): Promise<void> {
    this.tests.update((tests) => ({ ...tests, [channel.id]: { kind: 'sending' } }));
    try {
      const result = await this.api.test(channel.id, this.aborter.signal);
      this.tests.update((tests) => ({ ...tests, [channel.id]: { kind: 'answered', result } }));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.tests.update((tests) => ({ ...tests, [channel.id]: { kind: 'failed', error: e } })));
    }
    // The attempt is in the log and the channel's counts now.
    await this.load();
  }

  protected async remove(): Promise<void> {
    const channel = this.removing();
    if (channel === null) {
      return;
    }
    this.removeBusy.set(true);
    this.removeError.set(null);
    try {
      await this.api.remove(channel.id, this.aborter.signal);
      this.removing.set(null);
      if (this.logChannel() === channel.id) {
        this.logChannel.set('');
      }
      this.done.set(this.messages.text('notifications.removed', { name: channel.name }));
      await this.load();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.removeError.set(e));
    } finally {
      this.removeBusy.set(false);
    }
  }

  protected askRemove(channel: NotificationChannel): void {
    this.removeError.set(null);
    this.removing.set(channel);
  }

  /** Shows one channel's attempts, or all (`''`). */
  protected async chooseLogChannel(channelId: string): Promise<void> {
    this.logChannel.set(channelId);
    const items = await this.readDeliveries();
    if (items !== null) {
      this.setDeliveries(items);
    }
  }

  protected async olderDeliveries(): Promise<void> {
    const last = this.deliveries().at(-1);
    if (last === undefined || this.readingOlder()) {
      return;
    }
    this.readingOlder.set(true);
    try {
      const items = await this.readDeliveries(last.id);
      if (items !== null) {
        this.deliveries.update((shown) => [...shown, ...items.filter((item) => item.id < last.id)]);
        this.moreDeliveries.set(items.length === DELIVERY_LOG_LIMIT);
      }
    } finally {
      this.readingOlder.set(false);
    }
  }

  private setDeliveries(items: readonly DeliveryLogEntry[]): void {
    this.deliveries.set(items);
    this.moreDeliveries.set(items.length === DELIVERY_LOG_LIMIT);
  }

  /** A page of the log as chosen, or null when it could not be read (the log says why). */
  private async readDeliveries(before?: number): Promise<DeliveryLogEntry[] | null> {
    const channelId = this.logChannel();
    try {
      const items = await this.api.deliveries(this.aborter.signal, { ...(channelId === '' ? {} : { channelId }), ...(before === undefined ? {} : { before }) });
      this.deliveriesError.set(null);
      return items;
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.deliveriesError.set(e));
      return null;
    }
  }

  protected async refresh(): Promise<void> {
    await this.load();
  }

  private async load(): Promise<void> {
    try {
      const [channels, deliveries] = await Promise.all([this.api.channels(this.aborter.signal), this.readDeliveries()]);
      this.channels.set(channels);
      if (deliveries !== null) {
        this.setDeliveries(deliveries);
      }
      this.state.set({ kind: 'ready' });
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.state.set(e.status === 403 ? { kind: 'forbidden', error: e } : { kind: 'failed', error: e }));
    }
  }
}
