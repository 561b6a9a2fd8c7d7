import { Component, signal } from '@angular/core';

import type { PointDisk } from '../api/restore-point';
import { configureViewTestBed, renderView } from '../testing/view-test-bed';
import { DiskChoice, attachedDisks } from './disk-choice';

const DISKS: readonly PointDisk[] = [
  { index: 0, label: 'Hard disk 1', capacityBytes: 32 * 2 ** 30, datastorePath: '[datastore1] erp-01/erp-01.vmdk' },
  { index: 1, label: null, capacityBytes: 8 * 2 ** 30, datastorePath: null },
];

@Component({
  imports: [DiskChoice],
  template: `<ll-disk-choice idPrefix="ll-test-disk" [disks]="disks" [(chosen)]="chosen" />`,
})
class Host {
  readonly disks = DISKS;
  readonly chosen = signal<ReadonlySet<number>>(new Set([0, 1]));
}

describe('DiskChoice', () => {
  async function render() {
    configureViewTestBed();
    const { fixture, element } = await renderView(Host);
    await fixture.whenStable();
    return { fixture, boxes: [...element.querySelectorAll<HTMLInputElement>('input.ll-test-disk')] };
  }

  it('offers each disk as a checkbox labelled with its label (or number) and size, with the ids the page gives', async () => {
    const { boxes } = await render();
    expect(boxes.map((b) => b.id)).toEqual(['ll-test-disk-0', 'll-test-disk-1']);
    expect(boxes.map((b) => b.checked)).toEqual([true, true]);
    expect(boxes.map((b) => [...b.labels!].map((l) => l.textContent?.trim()))).toEqual([['Hard disk 1, 32 GiB'], ['1, 8 GiB']]);
  });

  it('tells the page which disks are chosen, and shows what the page sets', async () => {
    const { fixture, boxes } = await render();
    boxes[0]!.click();
    await fixture.whenStable();
    expect([...fixture.componentInstance.chosen()]).toEqual([1]);
    boxes[0]!.click();
    boxes[1]!.click();
    await fixture.whenStable();
    expect([...fixture.componentInstance.chosen()]).toEqual([0]);

    fixture.componentInstance.chosen.set(new Set([1]));
    await fixture.whenStable();
    expect(boxes.map((b) => b.checked)).toEqual([false, true]);
  });

  it('asks for every disk with null, for some by their indexes', () => {
    expect(attachedDisks(DISKS, new Set([0, 1]))).toBeNull();
    expect(attachedDisks(DISKS, new Set([1]))).toEqual([1]);
  });
});
