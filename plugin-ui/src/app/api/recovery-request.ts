import { pointPath } from './restore-point';
import { vmPath } from './vm-protection';

/**
 * What a user asks of recovery, and the call that asks the server (routes/recovery.ts). Each is
 * answered 202 with the restore job that does it.
 */
export type RecoveryRequest =
  | { readonly kind: 'revert'; readonly vmId: string; readonly pointId: string; readonly powerOff: boolean }
  | { readonly kind: 'cancelRevert'; readonly vmId: string; readonly powerOff: boolean }
  | { readonly kind: 'commitRevert'; readonly vmId: string }
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

export interface RecoveryCall {
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export function recoveryCall(request: RecoveryRequest): RecoveryCall {
  switch (request.kind) {
    case 'revert':
      return { path: `${vmPath(request.vmId)}/revert`, body: { pointId: request.pointId, powerOff: request.powerOff } };
    case 'cancelRevert':
      return { path: `${vmPath(request.vmId)}/revert/cancel`, body: { powerOff: request.powerOff } };
    case 'commitRevert':
      return { path: `${vmPath(request.vmId)}/revert/commit`, body: {} };
    case 'instantiate':
      return {
        path: `${pointPath(request.pointId)}/instantiate`,
        body: { name: request.name.trim(), powerOn: request.powerOn, ...(request.datastore === null ? {} : { datastore: request.datastore }) },
      };
    case 'attach':
      return {
        path: `${pointPath(request.pointId)}/attach`,
        body: { vm: request.vmId, ...(request.disks === null ? {} : { disks: [...request.disks].sort((a, b) => a - b) }) },
      };
  }
}
