import { pointPath } from './restore-point';
import { vmPath } from './vm-protection';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * What a user asks of recovery, and the call that asks the server (routes/recovery.ts, and
 * routes/instant-runs.ts for an instant new instance or attach). Each is answered 202 with the
 * job that does it.
 */
export type RecoveryRequest =
  | { readonly kind: 'revert'; readonly vmId: string; readonly pointId: string; readonly powerOff: boolean }
  | { readonly kind: 'cancelRevert'; readonly vmId: string; readonly powerOff: boolean }
  | { readonly kind: 'commitRevert'; readonly vmId: string }
  /** Instant revert: the VM runs from the point over Lifeline's NFS datastore at once (routes/instant-revert.ts). */
  | { readonly kind: 'instantRevert'; readonly vmId: string; readonly pointId: string; readonly powerOff: boolean }
  | { readonly kind: 'commitInstantRevert'; readonly vmId: string }
  | { readonly kind: 'cancelInstantRevert'; readonly vmId: string }
  | {
      readonly kind: 'instantiate';
      readonly pointId: string;
      readonly name: string;
      readonly powerOn: boolean;
      /** A datastore name; null keeps the original VM's datastore. */
      readonly datastore: string | null;
      /** Run from the backup at once (Lifeline's NFS datastore) instead of copying the disks first. */
      readonly instant?: boolean;
    }
  /** `disks` null: every disk of the point; `instant`: attached from Lifeline's NFS datastore instead of cloned first. */
  | { readonly kind: 'attach'; readonly pointId: string; readonly vmId: string; readonly disks: readonly number[] | null; readonly instant?: boolean };

/** The request bodies of the recovery routes, as the API's document describes them. */
export type RecoveryBody =
  | Schemas['RevertRequest']
  | Schemas['InstantRevertRequest']
  | Schemas['CancelRevertRequest']
  | Schemas['EmptyRequest']
  | Schemas['InstantiateRequest']
  | Schemas['AttachRequest']
  | Schemas['InstantInstanceRequest']
  | Schemas['InstantAttachRequest'];

export interface RecoveryCall {
  readonly path: string;
  readonly body: RecoveryBody;
}

export function recoveryCall(request: RecoveryRequest): RecoveryCall {
  switch (request.kind) {
    case 'revert': {
      const body: Schemas['RevertRequest'] = { pointId: request.pointId, powerOff: request.powerOff };
      return { path: `${vmPath(request.vmId)}/revert`, body };
    }
    case 'cancelRevert': {
      const body: Schemas['CancelRevertRequest'] = { powerOff: request.powerOff };
      return { path: `${vmPath(request.vmId)}/revert/cancel`, body };
    }
    case 'commitRevert': {
      const body: Schemas['EmptyRequest'] = {};
      return { path: `${vmPath(request.vmId)}/revert/commit`, body };
    }
    case 'instantRevert': {
      const body: Schemas['InstantRevertRequest'] = { pointId: request.pointId, powerOff: request.powerOff };
      return { path: `${vmPath(request.vmId)}/instant-revert`, body };
    }
    case 'commitInstantRevert': {
      const body: Schemas['EmptyRequest'] = {};
      return { path: `${vmPath(request.vmId)}/instant-revert/commit`, body };
    }
    case 'cancelInstantRevert': {
      const body: Schemas['EmptyRequest'] = {};
      return { path: `${vmPath(request.vmId)}/instant-revert/cancel`, body };
    }
    case 'instantiate': {
      if (request.instant === true) {
        const instant: Schemas['InstantInstanceRequest'] = { name: request.name.trim(), powerOn: request.powerOn, ...(request.datastore === null ? {} : { datastore: request.datastore }) };
        return { path: `${pointPath(request.pointId)}/instant-instance`, body: instant };
      }
      const body: Schemas['InstantiateRequest'] = {
        name: request.name.trim(),
        powerOn: request.powerOn,
        ...(request.datastore === null ? {} : { datastore: request.datastore }),
      };
      return { path: `${pointPath(request.pointId)}/instantiate`, body };
    }
    case 'attach': {
      if (request.instant === true) {
        const instant: Schemas['InstantAttachRequest'] = { vm: request.vmId, ...(request.disks === null ? {} : { disks: [...request.disks].sort((a, b) => a - b) }) };
        return { path: `${pointPath(request.pointId)}/instant-attach`, body: instant };
      }
      const body: Schemas['AttachRequest'] = { vm: request.vmId, ...(request.disks === null ? {} : { disks: [...request.disks].sort((a, b) => a - b) }) };
      return { path: `${pointPath(request.pointId)}/attach`, body };
    }
  }
}
