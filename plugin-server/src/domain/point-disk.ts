/**
 * Which of a VM's disks is now a restore point's disk. A point names each disk by the device key
 * it had when backed up, and records the slot (controller key and unit number) it was in. A revert
 * swaps a disk by removing the device and adding the other file in the same slot, and vCenter may
 * give the added device a new key; so a disk is found by its slot first (the slot a revert puts
 * the point's disk back into), then, when that slot is empty, by its key (a disk moved to another
 * slot keeps its key).
 */
export interface SlottedDisk {
  readonly key: number;
  readonly controllerKey: number;
  readonly unitNumber: number | undefined;
}

/** The slot a point's configuration (`manifest.vm.config`) recorded for its disk `pointDisk`, if any. */
export function pointDiskSlot(pointConfig: Readonly<Record<string, unknown>>, pointDisk: number): { controllerKey: number; unitNumber: number } | undefined {
  const disks = pointConfig['disks'];
  if (!Array.isArray(disks)) return undefined;
  const d = (disks as unknown[]).find((x) => typeof x === 'object' && x !== null && (x as { key?: unknown }).key === pointDisk) as { controllerKey?: unknown; unitNumber?: unknown } | undefined;
  if (!d || typeof d.controllerKey !== 'number' || typeof d.unitNumber !== 'number') return undefined;
  return { controllerKey: d.controllerKey, unitNumber: d.unitNumber };
}

/** The VM's disk that is the point's disk `pointDisk` now, or undefined when it has none. */
export function currentDiskOf<D extends SlottedDisk>(pointConfig: Readonly<Record<string, unknown>>, pointDisk: number, disks: readonly D[]): D | undefined {
  const slot = pointDiskSlot(pointConfig, pointDisk);
  const inSlot = slot && disks.find((d) => d.controllerKey === slot.controllerKey && d.unitNumber === slot.unitNumber);
  return inSlot ?? disks.find((d) => d.key === pointDisk);
}
