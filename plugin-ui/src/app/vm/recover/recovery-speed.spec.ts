import { Component, signal } from '@angular/core';

import { configureViewTestBed, radioGroupNames, renderView } from '../../testing/view-test-bed';
import { RecoverySpeedChoice, type RecoverySpeed } from './recovery-speed';

@Component({
  imports: [RecoverySpeedChoice],
  template: `<ll-recovery-speed [(speed)]="speed" />`,
})
class Host {
  readonly speed = signal<RecoverySpeed>('copy');
}

describe('RecoverySpeedChoice', () => {
  async function render() {
    configureViewTestBed();
    const { fixture, element } = await renderView(Host);
    await fixture.whenStable();
    const radio = (id: string) => element.querySelector<HTMLInputElement>(`#${id}`)!;
    return { fixture, element, copy: radio('ll-speed-copy'), instant: radio('ll-speed-instant') };
  }

  it('offers copy first and instant as one radio group under its label, copy first checked', async () => {
    const { element, copy, instant } = await render();
    expect(copy.checked).toBeTrue();
    expect(instant.checked).toBeFalse();
    expect([...copy.labels!].map((l) => l.textContent?.trim())).toEqual(['Copy first: restore the disks to the datastore, then use them']);
    expect([...instant.labels!].map((l) => l.textContent?.trim())).toEqual(['Instant: run from the backup at once, over Lifeline’s NFS datastore']);
    const group = element.querySelector('[role="radiogroup"]')!;
    expect(group.querySelector(':scope > label')?.textContent?.trim()).toBe('Disks');
    expect(group.contains(copy) && group.contains(instant)).toBeTrue();
    // A screen reader names the group by its label.
    expect(radioGroupNames(element)).toEqual(['Disks']);
  });

  it('tells the page what the user chose, and shows what the page sets', async () => {
    const { fixture, copy, instant } = await render();
    instant.click();
    await fixture.whenStable();
    expect(fixture.componentInstance.speed()).toBe('instant');
    copy.click();
    await fixture.whenStable();
    expect(fixture.componentInstance.speed()).toBe('copy');

    fixture.componentInstance.speed.set('instant');
    await fixture.whenStable();
    expect(instant.checked).toBeTrue();
    expect(copy.checked).toBeFalse();
  });
});
