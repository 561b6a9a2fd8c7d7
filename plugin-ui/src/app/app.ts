import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';

import { GlobalRefresh } from './global-refresh';
import { HtmlClientSdkService } from './sdk/html-client-sdk';
import { StartupFailure } from './startup-failure';

/**
 * The vSphere Client frames every Lifeline view, so the root draws nothing around the route. The
 * route's view is made anew at each press of the vSphere Client's refresh button.
 */
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
      @for (generation of [refresh.generation()]; track generation) {
        <router-outlet />
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly startup = inject(StartupFailure);
  protected readonly refresh = inject(GlobalRefresh);

  constructor() {
    if (this.startup.failure() === null) {
      const sdk = inject(HtmlClientSdkService);
      sdk.onGlobalRefresh(() => this.refresh.refresh());
      // Dates are drawn in the user's vSphere format; a changed format redraws the view.
      sdk.onDateTimeFormatChanged(() => this.refresh.refresh());
    }
  }
}
