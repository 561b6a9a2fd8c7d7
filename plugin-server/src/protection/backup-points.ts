/**
 * The scheduler's RestorePointSource, answered from the repository's catalog: a VM's newest
 * committed restore point that is not marked damaged. Points are keyed by vmKey() (see
 * backup-pipeline.ts), so the lookup needs no vCenter.
 */
import type { PointQuery, PointRow } from '../catalog/index.js';
import type { RestorePointSource } from './scheduler-driver.js';
import { vmKey, type VmRef } from '../domain/index.js';

const PAGE = 20;

export class StoreRestorePointSource implements RestorePointSource {
  constructor(private readonly repo: { listPoints(q?: PointQuery): PointRow[] }) {}

  lastGoodPoints(vms: readonly VmRef[], signal: AbortSignal): Promise<ReadonlyMap<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const vm of vms) {
      signal.throwIfAborted();
      const key = vmKey(vm);
      out.set(key, this.lastGood(key));
    }
    return Promise.resolve(out);
  }

  private lastGood(vmId: string): number | null {
    let before: number | undefined;
    for (;;) {
      const page = this.repo.listPoints({ vmId, limit: PAGE, ...(before !== undefined ? { before } : {}) });
      const good = page.find((p) => !p.damaged);
      if (good) return good.createdAt;
      if (page.length < PAGE) return null;
      before = page[page.length - 1]?.createdAt;
    }
  }
}
