import { pointPath } from './restore-point';
import { vmPath } from './vm-protection';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * What a user asks of recovery, and the call that asks the server (routes/recovery.ts). Each is
 * answered 202 with the restore job that does it.
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
    }
  /** `disks` null: every disk of the point. */
  | { readonly kind: 'attach'; readonly pointId: string; readonly vmId: string; readonly disks: readonly number[] | null };

/** The request bodies of the recovery routes, as the API's document describes them. */
export type RecoveryBody =
  | Schemas['RevertRequest']
  | Schemas['InstantRevertRequest']
  | Schemas['CancelRevertRequest']
  | Schemas['EmptyRequest']
  | Schemas['InstantiateRequest']
  | Schemas['AttachRequest'];

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
      const body: Schemas['InstantiateRequest'] = {
        name: request.name.trim(),
        powerOn: request.powerOn,
        ...(request.datastore === null ? {} : { datastore: request.datastore }),
      };
      return { path: `${pointPath(request.pointId)}/instantiate`, body };
    }
    case 'attach': {
      const body: Schemas['AttachRequest'] = { vm: request.vmId, ...(request.disks === null ? {} : { disks: [...request.disks].sort((a, b) => a - b) }) };
      return { path: `${pointPath(request.pointId)}/attach`, body };
    }
  }
}
