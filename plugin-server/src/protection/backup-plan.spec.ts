import type { VmDisk } from '../vsphere/index.js';
import { fallbackPlan, planDiskReads, type PlanBase } from './backup-plan.js';
import { planOrphanSweep } from './backup-orphans.js';
import { flatExtentOf } from './backup-disk-reader.js';

function disk(key: number, capacity = 64): VmDisk {
  return {
    key,
    label: `Hard disk ${key - 1999}`,
    controllerKey: 1000,
    controllerType: 'ParaVirtualSCSIController',
    bus: 'scsi',
    busNumber: 0,
    unitNumber: key - 2000,
    capacityBytes: capacity,
    datastore: { name: 'ds', moref: undefined },
    fileName: `[ds] vm/vm${key === 2000 ? '' : `_${key - 2000}`}.vmdk`,
    backingType: 'VirtualDiskFlatVer2BackingInfo',
    changeId: `c-${key}/2`,
    diskMode: 'persistent',
    thinProvisioned: true,
    uuid: undefined,
  };
}

const base = (disks: Array<[number, number, string | null]>, instanceUuid = 'iu-1'): PlanBase => ({
  pointId: 'p1',
  instanceUuid,
  disks: new Map(disks.map(([k, capacity, changeId]) => [k, { capacity, changeId }])),
});

describe('planDiskReads', () => {
  it('reads incrementally since the base changeId when everything matches', () => {
    const r = planDiskReads({ disks: [disk(2000)], excluded: [], base: base([[2000, 64, 'c-2000/1']]), instanceUuid: 'iu-1', cbtJustEnabled: false });
    expect(r.read.map((p) => [p.mode, p.since])).toEqual([['incremental', 'c-2000/1']]);
  });

  it('reads the allocated areas of every disk, saying why, when the base point is damaged', () => {
    const damaged: PlanBase = { ...base([[2000, 64, 'c-2000/1'], [2001, 64, 'c-2001/1']]), damaged: true };
    const r = planDiskReads({ disks: [disk(2000), disk(2001)], excluded: [], base: damaged, instanceUuid: 'iu-1', cbtJustEnabled: false });
    expect(r.read.map((p) => [p.mode, p.since])).toEqual([
      ['allocated', '*'],
      ['allocated', '*'],
    ]);
    expect(r.read[0]?.reason).toContain('the previous restore point p1 is damaged');
  });

  it('reads the allocated areas on a first backup, after CBT was turned on, for a new disk, a resized disk, another VM', () => {
    const mode = (input: Partial<Parameters<typeof planDiskReads>[0]>) =>
      planDiskReads({ disks: [disk(2000)], excluded: [], base: base([[2000, 64, 'c/1']]), instanceUuid: 'iu-1', cbtJustEnabled: false, ...input }).read[0];
    expect(mode({ base: undefined })?.mode).toBe('allocated');
    expect(mode({ cbtJustEnabled: true })?.reason).toContain('turned on');
    expect(mode({ base: base([[2001, 64, 'c/1']]) })?.reason).toContain('has no disk 2000');
    expect(mode({ base: base([[2000, 32, 'c/1']]) })?.reason).toContain('capacity changed from 32 to 64');
    expect(mode({ base: base([[2000, 64, null]]) })?.mode).toBe('allocated');
    expect(mode({ instanceUuid: 'iu-2' })?.reason).toContain('another VM');
    expect(mode({ disks: [{ ...disk(2000), changeId: undefined }] })?.mode).toBe('full');
  });

  it('skips excluded disks by device key or label, in device key order', () => {
    const r = planDiskReads({ disks: [disk(2002), disk(2000), disk(2001)], excluded: [{ deviceKey: 2001 }, { label: 'Hard disk 3' }], base: undefined, instanceUuid: undefined, cbtJustEnabled: false });
    expect(r.read.map((p) => p.disk.key)).toEqual([2000]);
    expect(r.skipped.map((d) => d.key)).toEqual([2001, 2002]);
  });

  it('falls back from incremental to allocated to full', () => {
    const inc = planDiskReads({ disks: [disk(2000)], excluded: [], base: base([[2000, 64, 'c/1']]), instanceUuid: 'iu-1', cbtJustEnabled: false }).read[0];
    if (!inc) throw new Error('no plan');
    const alloc = fallbackPlan(inc, 'FileFault');
    expect(alloc?.mode).toBe('allocated');
    expect(alloc?.since).toBe('*');
    const full = alloc && fallbackPlan(alloc, 'FileFault');
    expect(full?.mode).toBe('full');
    expect(full && fallbackPlan(full, 'x')).toBeUndefined();
  });
});

describe('flatExtentOf', () => {
  it('names the flat extent of a flat disk and refuses snapshot deltas', () => {
    expect(flatExtentOf('[ds] vm/vm.vmdk')).toBe('[ds] vm/vm-flat.vmdk');
    expect(flatExtentOf('[ds] vm/vm_1.vmdk')).toBe('[ds] vm/vm_1-flat.vmdk');
    expect(() => flatExtentOf('[ds] vm/vm-000001.vmdk')).toThrowError(/snapshot delta/);
  });
});

describe('planOrphanSweep', () => {
  const jobs = { find: (id: string) => (id === 'run' ? { state: 'running' as const } : id === 'old' ? { state: 'failed' as const } : undefined) };
  it('keeps snapshots of running jobs and of recently seen unknown jobs, removes the rest', () => {
    const now = 10 * 86_400_000;
    const plan = planOrphanSweep(
      [
        { vm: 'vm-1', snapshot: 's1', name: 'lifeline-run', createdAt: 0 },
        { vm: 'vm-1', snapshot: 's2', name: 'lifeline-old', createdAt: now },
        { vm: 'vm-2', snapshot: 's3', name: 'lifeline-x', createdAt: now - 1000 },
        { vm: 'vm-2', snapshot: 's4', name: 'lifeline-y', createdAt: now - 2 * 86_400_000 },
        { vm: 'vm-2', snapshot: 's5', name: 'my snapshot', createdAt: 0 },
      ],
      jobs,
      now,
    );
    expect(plan.map((d) => [d.snapshot, d.action])).toEqual([
      ['s1', 'keep'],
      ['s2', 'remove'],
      ['s3', 'keep'],
      ['s4', 'remove'],
    ]);
  });
});
