import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';

import { MessagePipe } from '../i18n/message-pipe';

/**
 * Lifeline's global view is one view in plugin.json; its pages are routes inside it, and this
 * Clarity tab bar moves between them without the vSphere Client reloading the frame.
 */
@Component({
  selector: 'll-global-view',
  imports: [MessagePipe, RouterLink, RouterLinkActive],
  template: `
    <section class="ll-view">
      <ul class="nav ll-global-nav" role="tablist">
        @for (page of pages; track page.path) {
          <li class="nav-item" role="presentation">
            <a class="nav-link" role="tab" [routerLink]="page.path" routerLinkActive="active">{{ page.label | msg }}</a>
          </li>
        }
      </ul>
      <div class="ll-global-page">
        <ng-content />
      </div>
    </section>
  `,
  styles: `
    .ll-global-page {
      padding-top: 0.6rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class GlobalView {
  protected readonly pages = [
    { path: '/global/dashboard', label: 'global.nav.dashboard' },
    { path: '/global/protected-vms', label: 'global.nav.protectedVms' },
    { path: '/global/policies', label: 'global.nav.policies' },
    { path: '/global/jobs', label: 'global.nav.jobs' },
    { path: '/global/audit', label: 'global.nav.audit' },
    { path: '/global/settings', label: 'global.nav.settings' },
  ] as const;
}
