import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';

import type { LifelineApiError } from '../api/lifeline-api-error';

/**
 * A failed call as the user sees it: the server's problem title in bold, then its detail, which
 * says what to do. Field errors of a 400 are listed too unless a form shows them beside its fields.
 */
@Component({
  selector: 'll-problem-alert',
  imports: [ClrAlertModule],
  template: `
    @if (error(); as error) {
      <clr-alert [clrAlertType]="type()" [clrAlertClosable]="closable()" (clrAlertClosedChange)="closed.emit()">
        <clr-alert-item>
          <span class="alert-text ll-problem">
            <strong class="ll-problem-title">{{ error.title }}</strong>
            @if (error.detail) {
              <span class="ll-problem-detail">{{ error.detail }}</span>
            }
            @if (showFieldErrors() && error.errors.length > 0) {
              <ul class="ll-problem-fields">
                @for (fault of error.errors; track $index) {
                  <li>{{ fault.message }}</li>
                }
              </ul>
            }
          </span>
        </clr-alert-item>
      </clr-alert>
    }
  `,
  styles: `
    .ll-problem-detail::before {
      content: ' — ';
    }

    .ll-problem-fields {
      margin: 0.2rem 0 0 1rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProblemAlert {
  readonly error = input.required<LifelineApiError | null>();
  readonly type = input<'danger' | 'warning'>('danger');
  readonly closable = input(false);
  readonly showFieldErrors = input(false);
  readonly closed = output();
}
