/**
 * Whether the VMs a policy protects can all meet its RPO with the backup durations measured so far
 * and the configured slots — a pure function, so the policy form and the dashboard can warn before
 * the RPO is missed rather than after.
 *
 * The model. A backup's point is its snapshot time and becomes good when the backup commits, so
 * just before a VM's next backup commits its newest good point is one interval plus one duration
 * old: a VM backed up every `i` seconds with backups of `d` seconds meets an RPO `R` only if
 * `i + d ≤ R`. Backups of one VM never overlap (`i ≥ d`), so on its own a VM can meet no RPO below
 * `2d` — the best RPO its backups allow. Sharing slots, each VM keeps `d / (R − d)` of a slot busy
 * at the longest interval its RPO permits; where the VMs on one limit (all jobs, a datastore, a
 * host) need more slots than the limit gives, their intervals stretch by that factor `f`, and the
 * best RPO each can get is about `d + f·(R − d)`. A VM with no measured backup yet is left out
 * (its duration is unknown) and counted as such.
 */

export interface FeasibilityVm {
  /** vmKey(): identifies the VM in the answer. */
  key: string;
  policyId: string;
  rpoSeconds: number;
  /** Measured backup duration (s), or null while none has been measured. */
  durationSeconds: number | null;
  datastores: readonly string[];
  host: string | null;
}

export interface SlotLimits {
  global: number;
  perDatastore: number | undefined;
  perHost: number | undefined;
}

export type FeasibilityReason = 'backup-too-slow' | 'slots';

export interface VmFeasibility {
  key: string;
  /** Whether the VM can meet its policy's RPO; null while its backup duration is unknown. */
  feasible: boolean | null;
  /** The smallest RPO (s) this VM's backups and its share of the slots allow; null while unknown. */
  bestRpoSeconds: number | null;
  reason: FeasibilityReason | null;
}

export interface PolicyFeasibility {
  policyId: string;
  /** False when some VM of the policy cannot meet its RPO; null when no VM has a measured backup. */
  feasible: boolean | null;
  /** The smallest RPO (s) all its measured VMs could meet; null while none is measured. */
  bestRpoSeconds: number | null;
  /** VMs that cannot meet the RPO. */
  vmsInfeasible: number;
  /** VMs with no measured backup yet (not judged). */
  vmsUnmeasured: number;
  reason: FeasibilityReason | null;
}

export interface FeasibilityReport {
  vms: Map<string, VmFeasibility>;
  policies: Map<string, PolicyFeasibility>;
}

/** Part of a slot a VM keeps busy at the longest interval its RPO permits (1 when it can never rest). */
function slotShare(d: number, rpo: number): number {
  return rpo - d > d ? d / (rpo - d) : 1;
}

export function assessFeasibility(vms: readonly FeasibilityVm[], limits: SlotLimits): FeasibilityReport {
  // Slots each limit's VMs need, and what the limit gives.
  const need = new Map<string, number>();
  const give = new Map<string, number>();
  const keysOf = (vm: FeasibilityVm): string[] => {
    const keys = ['global'];
    if (limits.perDatastore !== undefined) keys.push(...vm.datastores.map((ds) => `datastore:${ds}`));
    if (limits.perHost !== undefined && vm.host !== null) keys.push(`host:${vm.host}`);
    return keys;
  };
  const limitOf = (key: string): number =>
    key === 'global' ? limits.global : key.startsWith('datastore:') ? (limits.perDatastore ?? Infinity) : (limits.perHost ?? Infinity);
  for (const vm of vms) {
    if (vm.durationSeconds === null) continue;
    const share = slotShare(vm.durationSeconds, vm.rpoSeconds);
    for (const k of keysOf(vm)) {
      need.set(k, (need.get(k) ?? 0) + share);
      give.set(k, limitOf(k));
    }
  }

  const out = new Map<string, VmFeasibility>();
  for (const vm of vms) {
    const d = vm.durationSeconds;
    if (d === null) {
      out.set(vm.key, { key: vm.key, feasible: null, bestRpoSeconds: null, reason: null });
      continue;
    }
    const alone = 2 * d;
    let stretch = 1;
    for (const k of keysOf(vm)) stretch = Math.max(stretch, Math.round(((need.get(k) ?? 0) / (give.get(k) ?? Infinity)) * 1e6) / 1e6);
    const shared = d + stretch * Math.max(vm.rpoSeconds - d, d);
    // Whole seconds, up; to the millisecond first, so that float sums (0.2 × 20) do not add one.
    const best = Math.ceil(Math.round(Math.max(alone, stretch > 1 ? shared : alone) * 1000) / 1000);
    const reason: FeasibilityReason | null = alone > vm.rpoSeconds ? 'backup-too-slow' : stretch > 1 ? 'slots' : null;
    out.set(vm.key, { key: vm.key, feasible: reason === null, bestRpoSeconds: best, reason });
  }

  const policies = new Map<string, PolicyFeasibility>();
  for (const vm of vms) {
    const f = out.get(vm.key) as VmFeasibility;
    const p = policies.get(vm.policyId) ?? { policyId: vm.policyId, feasible: null, bestRpoSeconds: null, vmsInfeasible: 0, vmsUnmeasured: 0, reason: null };
    if (f.feasible === null) p.vmsUnmeasured++;
    else {
      p.feasible = (p.feasible ?? true) && f.feasible;
      p.bestRpoSeconds = Math.max(p.bestRpoSeconds ?? 0, f.bestRpoSeconds ?? 0);
      if (!f.feasible) {
        p.vmsInfeasible++;
        // A VM too slow on its own is the more specific reason; slots otherwise.
        p.reason = p.reason === 'backup-too-slow' || f.reason === 'backup-too-slow' ? 'backup-too-slow' : 'slots';
      }
    }
    policies.set(vm.policyId, p);
  }
  return { vms: out, policies };
}
