import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';

import { GlobalRefresh } from '../global-refresh';
import { MessagePipe } from '../i18n/message-pipe';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/**
 * Lifeline's global view is one view in plugin.json; its pages are routes inside it, and this
 * Clarity tab bar moves between them without the vSphere Client reloading the frame. When the
 * vSphere Client knows Lifeline servers for several vCenters, the view names the vCenter it shows
 * and lets the user pick another; the page then loads from that vCenter's server.
 */
@Component({
  selector: 'll-global-view',
  imports: [MessagePipe, RouterLink, RouterLinkActive],
  template: `
    <section class="ll-view">
      @if (vcenters().length > 1) {
        <div class="clr-form-control ll-global-vcenter">
          <label class="clr-control-label" for="ll-global-vcenter">{{ 'global.vcenter' | msg }}</label>
          <div class="clr-select-wrapper">
            <select id="ll-global-vcenter" class="clr-select" [value]="shown()" (change)="choose($any($event.target).value)">
              @for (guid of vcenters(); track guid) {
                <option [value]="guid" [selected]="guid === shown()">{{ guid }}</option>
              }
            </select>
          </div>
        </div>
      }
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
  private readonly sdk = inject(HtmlClientSdkService);
  private readonly refresh = inject(GlobalRefresh);
  protected readonly vcenters = signal<readonly string[]>([]);
  protected readonly shown = signal<string | undefined>(this.sdk.globalVcenter());

  constructor() {
    void this.sdk.vcenterChoices().then(
      ({ guids, shown }) => {
        this.vcenters.set(guids);
        this.shown.set(shown);
      },
      // Without backend info the page's own calls say what is wrong.
      () => undefined,
    );
  }

  protected choose(guid: string): void {
    this.sdk.setGlobalVcenter(guid);
    this.shown.set(guid);
    // The page is made anew, loading from the chosen vCenter's server.
    this.refresh.refresh();
  }

  protected readonly pages = [
    { path: '/global/dashboard', label: 'global.nav.dashboard' },
    { path: '/global/protected-vms', label: 'global.nav.protectedVms' },
    { path: '/global/policies', label: 'global.nav.policies' },
    { path: '/global/jobs', label: 'global.nav.jobs' },
    { path: '/global/audit', label: 'global.nav.audit' },
    { path: '/global/settings', label: 'global.nav.settings' },
  ] as const;
}
