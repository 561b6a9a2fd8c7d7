import { ChangeDetectionStrategy, Component, DestroyRef, inject, input, signal } from '@angular/core';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { isRecord, isString, isStringOrNull } from '../../api/json-reader';
import type { components } from '../../api/lifeline-api.generated';
import { LifelineApi } from '../../api/lifeline-api';
import { LifelineApiError, reportApiError } from '../../api/lifeline-api-error';
import { vmPath } from '../../api/vm-protection';
import { MessagePipe } from '../../i18n/message-pipe';
import type { MessageKey } from '../../i18n/messages-en-us';
import { VsphereDatePipe } from '../../i18n/vsphere-date-pipe';
import { ProblemAlert } from '../../problem-alert/problem-alert';

/** An event Lifeline recorded about the VM (`GET /api/v1/vms/{vm}/events`). */
export type VmEvent = components['schemas']['VmEventList']['items'][number];
type Severity = VmEvent['severity'];

/** How many events the tab shows. */
export const VM_EVENTS_LIMIT = 10;

const SEVERITIES: Readonly<Record<Severity, { readonly text: MessageKey; readonly css: string }>> = {
  info: { text: 'notifications.severity.info', css: 'label-info' },
  warning: { text: 'notifications.severity.warning', css: 'label-warning' },
  error: { text: 'notifications.severity.error', css: 'label-danger' },
  critical: { text: 'notifications.severity.critical', css: 'label-danger' },
};

function readVmEvent(body: unknown): VmEvent | null {
  if (!isRecord(body)) {
    return null;
  }
  const { id, type, severity, at, message, jobId, pointId } = body;
  return isString(id) && isString(type) && isString(severity) && severity in SEVERITIES && isString(at) && isString(message) && isStringOrNull(jobId) && isStringOrNull(pointId)
    ? { id, type, severity: severity as Severity, at, message, jobId, pointId }
    : null;
}

export function readVmEvents(body: unknown): VmEvent[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items = (body['items'] as unknown[]).map(readVmEvent);
  return items.every((e) => e !== null) ? (items as VmEvent[]) : null;
}

/**
 * The link on the VM's Protection tab to what Lifeline told about the VM lately (backups failed
 * or succeeded, RPO violated and recovered, restores), newest first, read from the Lifeline
 * server when the user opens it. They come from Lifeline's own record of its events, so they are
 * there whichever notification channels exist; the vSphere Client's Monitor → Events of the VM
 * shows them too only with a vCenter events channel, and its SDK offers plug-ins no navigation to
 * that view.
 */
@Component({
  selector: 'll-vm-recent-events',
  imports: [ClrSpinnerModule, MessagePipe, ProblemAlert, VsphereDatePipe],
  template: `
    <section class="ll-vm-events">
      <button type="button" class="btn btn-link btn-sm ll-vm-events-toggle" [attr.aria-expanded]="open()" (click)="toggle()">
        {{ (open() ? 'vmEvents.hide' : 'vmEvents.show') | msg }}
      </button>
      @if (open()) {
        @if (loading()) {
          <p class="ll-vm-events-loading"><clr-spinner clrInline clrSmall /> {{ 'vmEvents.loading' | msg }}</p>
        }
        <ll-problem-alert [error]="error()" type="warning" />
        @if (events(); as events) {
          @if (events.length === 0) {
            <p class="ll-vm-events-none">{{ 'vmEvents.none' | msg }}</p>
          } @else {
            <table class="table table-compact ll-vm-events-table">
              <thead>
                <tr>
                  <th class="left">{{ 'vmEvents.at' | msg }}</th>
                  <th class="left">{{ 'vmEvents.severity' | msg }}</th>
                  <th class="left">{{ 'vmEvents.type' | msg }}</th>
                  <th class="left">{{ 'vmEvents.message' | msg }}</th>
                </tr>
              </thead>
              <tbody>
                @for (e of events; track e.id) {
                  <tr class="ll-vm-event" [attr.data-type]="e.type">
                    <td class="left ll-vm-event-at">{{ e.at | date: 'medium' }}</td>
                    <td class="left ll-vm-event-severity"><span class="label" [class]="severity(e).css">{{ severity(e).text | msg }}</span></td>
                    <td class="left ll-vm-event-type"><code>{{ e.type }}</code></td>
                    <td class="left ll-vm-event-message">{{ e.message }}</td>
                  </tr>
                }
              </tbody>
            </table>
          }
        }
      }
    </section>
  `,
  styles: `
    .ll-vm-event-message {
      overflow-wrap: anywhere;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmRecentEvents {
  readonly vmId = input.required<string>();
  private readonly api = inject(LifelineApi);
  private readonly aborter = new AbortController();

  protected readonly open = signal(false);
  protected readonly loading = signal(false);
  protected readonly events = signal<readonly VmEvent[] | null>(null);
  protected readonly error = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  protected severity(e: VmEvent): { readonly text: MessageKey; readonly css: string } {
    return SEVERITIES[e.severity];
  }

  /** Opens the list, reading it afresh each time. */
  protected async toggle(): Promise<void> {
    if (this.open()) {
      this.open.set(false);
      return;
    }
    this.open.set(true);
    this.loading.set(true);
    this.error.set(null);
    try {
      this.events.set(await this.api.get(`${vmPath(this.vmId())}/events?limit=${VM_EVENTS_LIMIT}`, readVmEvents, this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
