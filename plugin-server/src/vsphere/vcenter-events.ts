/**
 * vCenter's event log (EventManager): posting an extension's events on a VM, so that they show in
 * the vSphere Client under the VM's Monitor → Events and can trigger alarms, and reading a VM's
 * events back. An extension's event is an `EventEx` whose `eventTypeId` is one the extension
 * declared in its `eventList` at registration; the `vm` argument ties it to the VM (vSphere Web
 * Services API reference: EventManager.PostEvent, EventEx, ExtensionEventTypeInfo).
 */
import type { VimSession } from './vim-session.js';
import { asArray, compact, date, encodeMoRef, field, num, str, typed, xsiType } from './vim-values.js';

export type VcenterEventSeverity = 'info' | 'warning' | 'error' | 'user';

export interface VmEventToPost {
  /** An id the extension declared, e.g. `com.example.lifeline.backup.failed`. */
  eventTypeId: string;
  severity: VcenterEventSeverity;
  /** The text the vSphere Client shows. */
  message: string;
  vm: { moref: string; name: string };
  /** Extra facts, shown with the event and usable in alarm conditions. */
  arguments?: Readonly<Record<string, string>>;
}

export interface VcenterEvent {
  key: number;
  type: string;
  eventTypeId: string | undefined;
  severity: string | undefined;
  message: string | undefined;
  fullFormattedMessage: string | undefined;
  vm: string | undefined;
  createdTime: string | undefined;
  arguments: Record<string, string>;
}

/** The EventEx data object for PostEvent, in vim25 field order. */
export function vmEventEx(e: VmEventToPost, now: Date): Record<string, unknown> {
  return typed(
    'EventEx',
    compact({
      // vCenter assigns key, chain and user; the schema makes the client send something.
      key: 0,
      chainId: 0,
      createdTime: now.toISOString(),
      userName: '',
      vm: { name: e.vm.name, vm: encodeMoRef({ type: 'VirtualMachine', value: e.vm.moref }) },
      fullFormattedMessage: e.message,
      eventTypeId: e.eventTypeId,
      severity: e.severity,
      message: e.message,
      arguments: e.arguments ? Object.entries(e.arguments).map(([key, value]) => ({ key, value: { attributes: { 'xsi:type': 'xsd:string', 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema' }, $value: value } })) : undefined,
      objectId: e.vm.moref,
      objectType: 'VirtualMachine',
      objectName: e.vm.name,
    }),
  );
}

export async function postVmEvent(session: VimSession, e: VmEventToPost, now: Date, signal?: AbortSignal): Promise<void> {
  await session.call('PostEvent', { _this: encodeMoRef(session.manager('eventManager')), eventToPost: vmEventEx(e, now) }, signal);
}

/** The VM's latest events (vCenter's first page, newest first), optionally only Lifeline's `eventTypeId`s. */
export async function queryVmEvents(session: VimSession, moref: string, opts: { maxCount?: number } = {}, signal?: AbortSignal): Promise<VcenterEvent[]> {
  const raw = await session.call(
    'QueryEvents',
    {
      _this: encodeMoRef(session.manager('eventManager')),
      filter: compact({ entity: { entity: encodeMoRef({ type: 'VirtualMachine', value: moref }), recursion: 'self' }, maxCount: opts.maxCount }),
    },
    signal,
  );
  return asArray(raw).map((e) => ({
    key: num(field(e, 'key')) ?? 0,
    type: xsiType(e) ?? 'Event',
    eventTypeId: str(field(e, 'eventTypeId')),
    severity: str(field(e, 'severity')),
    message: str(field(e, 'message')),
    fullFormattedMessage: str(field(e, 'fullFormattedMessage')),
    vm: str(field(field(e, 'vm'), 'vm')),
    createdTime: date(field(e, 'createdTime'))?.toISOString(),
    arguments: Object.fromEntries(asArray(field(e, 'arguments')).map((a) => [str(field(a, 'key')) ?? '', str(field(a, 'value')) ?? ''])),
  }));
}
