/**
 * Where protection policies and the VM-to-policy assignments live. The SQLite implementation is in
 * policy-store.ts.
 *
 * Contract: nothing invalid is ever saved — create and update validate the whole policy and throw
 * PolicyValidationError (code 'validation') listing every field at fault, saving nothing; a name
 * already used by another policy (compared without case) is 'policy-name-taken'; a policy still
 * assigned to VMs cannot be deleted ('policy-in-use'). Unknown ids are NotFoundError.
 */
import type { PolicySpec, ProtectionPolicy } from './policy.js';
import type { RpoStatus } from './rpo-compliance.js';
import type { VmRef } from '../domain/index.js';

export interface VmProtection {
  vm: VmRef;
  policyId: string;
  assignedAt: string;
  /** Scheduled backups are skipped while paused, e.g. during a temporary revert. */
  paused: boolean;
  /** Why, e.g. 'temporary-revert'. */
  pauseReason: string | null;
  pausedAt: string | null;
  /** The last RPO status announced for this VM, so a restart does not announce it again. */
  rpoStatus: RpoStatus | null;
  rpoStatusAt: string | null;
}

export interface PolicyStore {
  createPolicy(spec: PolicySpec): ProtectionPolicy;
  /** Replaces the whole policy (the API merges a PATCH before calling this). */
  updatePolicy(id: string, spec: PolicySpec): ProtectionPolicy;
  deletePolicy(id: string): void;
  getPolicy(id: string): ProtectionPolicy;
  listPolicies(): ProtectionPolicy[];

  /** Protects a VM with a policy, or moves it to another policy (keeping when it was first protected). */
  assign(vm: VmRef, policyId: string): VmProtection;
  /** Stops protecting a VM; its restore points are not touched. Returns whether it was protected. */
  unassign(vm: VmRef): boolean;
  getProtection(vm: VmRef): VmProtection | undefined;
  listProtections(filter?: { policyId?: string }): VmProtection[];
  pause(vm: VmRef, reason: string): VmProtection;
  resume(vm: VmRef): VmProtection;
  setRpoStatus(vm: VmRef, status: RpoStatus, atMs: number): void;
}
