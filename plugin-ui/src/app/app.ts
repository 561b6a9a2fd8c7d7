import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';

import { StartupFailure } from './startup-failure';

/** The vSphere Client frames every Lifeline view, so the root draws nothing around the route. */
@Component({
  selector: 'll-root',
  imports: [RouterOutlet],
  template: `
    @if (startup.failure(); as failure) {
      <div class="alert alert-danger ll-startup-failure" role="alert">
        <div class="alert-items">
          <div class="alert-item static">
            <span class="alert-text"><strong>Lifeline could not start in the vSphere Client</strong> — {{ failure }}</span>
          </div>
        </div>
      </div>
    } @else {
      <router-outlet />
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly startup = inject(StartupFailure);
}
