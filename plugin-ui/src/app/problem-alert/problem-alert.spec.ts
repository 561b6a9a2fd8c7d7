import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { LifelineApiError } from '../api/lifeline-api-error';
import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { ProblemAlert } from './problem-alert';

@Component({
  imports: [ProblemAlert],
  template: `<ll-problem-alert [error]="error()" [showFieldErrors]="fields()" [closable]="true" (closed)="closed = closed + 1" />`,
})
class Host {
  readonly error = signal<LifelineApiError | null>(null);
  readonly fields = signal(false);
  closed = 0;
}

describe('ProblemAlert', () => {
  async function render(error: LifelineApiError | null, fields = false) {
    TestBed.configureTestingModule({ providers: provideFakeHtmlClientSdk(new FakeHtmlClientSdk()) });
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.error.set(error);
    fixture.componentInstance.fields.set(fields);
    await fixture.whenStable();
    return fixture;
  }

  const problem = new LifelineApiError({
    status: 400,
    title: 'Bad Request',
    detail: 'the policy has 2 faults',
    code: 'validation',
    errors: [
      { field: 'rpoSeconds', message: 'rpoSeconds must be from 60 to 86400' },
      { field: 'name', message: 'name must not be empty' },
    ],
  });

  it('shows nothing without an error', async () => {
    const fixture = await render(null);
    expect((fixture.nativeElement as HTMLElement).querySelector('clr-alert')).toBeNull();
  });

  it('shows the problem title and the detail that says what to do', async () => {
    const element = (await render(problem)).nativeElement as HTMLElement;
    expect(element.querySelector('.ll-problem-title')?.textContent).toBe('Bad Request');
    expect(element.querySelector('.ll-problem-detail')?.textContent).toBe('the policy has 2 faults');
    expect(element.querySelector('.alert-danger')).not.toBeNull();
    expect(element.querySelector('.ll-problem-fields')).toBeNull();
  });

  it('lists the field errors when no form shows them', async () => {
    const element = (await render(problem, true)).nativeElement as HTMLElement;
    expect([...element.querySelectorAll('.ll-problem-fields li')].map((li) => li.textContent)).toEqual([
      'rpoSeconds must be from 60 to 86400',
      'name must not be empty',
    ]);
  });
});
