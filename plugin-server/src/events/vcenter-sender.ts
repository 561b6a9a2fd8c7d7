/**
 * vCenter as a channel: each event about a VM is posted on that VM in its own vCenter
 * (EventManager.PostEvent, an `EventEx` whose type id is `<extension key>.<event type>`, one of
 * those declared at registration), where the vSphere Client shows it under the VM's Monitor →
 * Events and vCenter alarms can fire on it. Events about no VM are not sent to this channel.
 */
import { LifelineError } from '../errors/index.js';
import type { VcenterEventSeverity, VmEventToPost } from '../vsphere/index.js';
import type { ChannelSender } from './dispatcher.js';
import type { EventSeverity, EventType, LifelineEvent } from './event.js';

/** How Lifeline reaches a vCenter it serves, with its service account. */
export interface VcenterEventTarget {
  postVmEvent(event: VmEventToPost, signal?: AbortSignal): Promise<void>;
}

export interface VcenterSenderOptions {
  /** The extension key the event types were declared under at registration. */
  extensionKey: string;
  /** The vCenters this server serves, by instance UUID. */
  vcenterGuids: readonly string[];
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<VcenterEventTarget>;
}

const SEVERITY: Record<EventSeverity, VcenterEventSeverity> = { info: 'info', warning: 'warning', error: 'error', critical: 'error' };

/** The vCenter event type id of a Lifeline event type. */
export function vcenterEventTypeId(extensionKey: string, type: EventType): string {
  return `${extensionKey}.${type}`;
}

export function vcenterSender(opts: VcenterSenderOptions): ChannelSender {
  return {
    async send(event: LifelineEvent, _channel, signal) {
      if (event.vm === null) {
        // Only a test comes here (the outbox gives this channel VM events only): reach each vCenter.
        if (opts.vcenterGuids.length === 0) throw new LifelineError('vcenter-not-configured', 'this Lifeline server serves no vCenter');
        for (const guid of opts.vcenterGuids) await opts.vcenter(guid, signal);
        return `connected to ${opts.vcenterGuids.length} vCenter(s); events are posted on each event's VM`;
      }
      if (!opts.vcenterGuids.includes(event.vm.vcenterGuid)) throw new LifelineError('vcenter-unknown', `vCenter ${event.vm.vcenterGuid} is not served by this Lifeline server`);
      const vc = await opts.vcenter(event.vm.vcenterGuid, signal);
      await vc.postVmEvent(
        {
          eventTypeId: vcenterEventTypeId(opts.extensionKey, event.type),
          severity: SEVERITY[event.severity],
          message: `Lifeline: ${event.message}`,
          vm: { moref: event.vm.moref, name: event.vm.name ?? event.vm.moref },
          arguments: Object.fromEntries(
            Object.entries({ lifelineEventId: event.id, jobId: event.jobId, pointId: event.pointId }).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
        },
        signal,
      );
      return `posted on ${event.vm.moref}`;
    },
    // A vCenter serves many clients: no more posts at once than Lifeline ever made.
    maxInFlight: 16,
  };
}
