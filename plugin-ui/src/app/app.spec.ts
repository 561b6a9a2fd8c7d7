import { ChangeDetectionStrategy, Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { App } from './app';
import { StartupFailure } from './startup-failure';
import { configureViewTestBed, initializeSdk, settle } from './testing/view-test-bed';

let made = 0;

@Component({
  selector: 'll-counted-view',
  template: '<p class="counted">view {{ n }}</p>',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class CountedView {
  readonly n = ++made;
}

describe('App', () => {
  beforeEach(() => {
    made = 0;
  });

  it('makes the routed view anew when the vSphere Client refresh button is pressed, so it loads its data again', async () => {
    const { sdk } = configureViewTestBed({ providers: [provideRouter([{ path: '**', component: CountedView }])] });
    await initializeSdk();
    const fixture = TestBed.createComponent(App);
    await TestBed.inject(Router).navigateByUrl('/vm/backups');
    await fixture.whenStable();
    await settle();
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('.counted')?.textContent).toBe('view 1');
    sdk.globalRefresh();
    await fixture.whenStable();
    expect(made).toBe(2);
    expect(element.querySelector('.counted')?.textContent).toBe('view 2');
  });

  it('says why Lifeline could not start instead of showing a view', async () => {
    configureViewTestBed({ providers: [provideRouter([{ path: '**', component: CountedView }])] });
    TestBed.inject(StartupFailure).set(new Error('The vSphere Client SDK called back without its interfaces.'));
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('.ll-startup-failure')?.textContent).toContain('without its interfaces');
    expect(made).toBe(0);
  });
});
