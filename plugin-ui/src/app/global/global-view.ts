import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { Router, RouterLink, RouterLinkActive } from '@angular/router';

import { LifelineApi } from '../api/lifeline-api';
import { GlobalRefresh } from '../global-refresh';
import { MessagePipe } from '../i18n/message-pipe';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';
import { takeGlobalPage } from './global-page-request';

/**
 * Lifeline's global view is one view in plugin.json; its pages are routes inside it, and this
 * Clarity tab bar moves between them without the vSphere Client reloading the frame. When the
 * vSphere Client knows Lifeline servers for several vCenters, the view names the vCenter it shows
 * and lets the user pick another; the page then loads from that vCenter's server. Each vCenter is
 * named as its own server names it (the host name the vSphere Client's inventory shows); one
 * whose server does not answer keeps its instance UUID.
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
                <option [value]="guid" [selected]="guid === shown()">{{ names()[guid] ?? guid }}</option>
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
  private readonly api = inject(LifelineApi);
  protected readonly vcenters = signal<readonly string[]>([]);
  /** The vCenters' names, by GUID, as their servers answered. */
  protected readonly names = signal<Readonly<Record<string, string>>>({});
  private readonly asking = new AbortController();
  protected readonly shown = signal<string | undefined>(this.sdk.globalVcenter());

  constructor() {
    // Another view asked for one of these pages (global-page-request.ts): open it instead.
    const wanted = takeGlobalPage();
    if (wanted !== null && this.pages.some((page) => page.path === wanted)) {
      void inject(Router).navigateByUrl(wanted);
    }
    void this.sdk.vcenterChoices().then(
      ({ guids, shown }) => {
        this.vcenters.set(guids);
        this.shown.set(shown);
        guids.forEach((guid) => void this.askName(guid));
      },
      // Without backend info the page's own calls say what is wrong.
      () => undefined,
    );
    inject(DestroyRef).onDestroy(() => this.asking.abort());
  }

  /** Asks the vCenter's own server for its name; a server that does not answer leaves the GUID. */
  private async askName(guid: string): Promise<void> {
    try {
      const named = (await this.api.vcenterNames(guid, this.asking.signal)).find((vc) => vc.guid.toLowerCase() === guid.toLowerCase());
      if (named !== undefined) {
        this.names.update((names) => ({ ...names, [guid]: named.name }));
      }
    } catch {
      // The page's own calls say what is wrong with a server; the picker still offers the vCenter.
    }
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
    { path: '/global/sites', label: 'global.nav.sites' },
    { path: '/global/replicated-vms', label: 'global.nav.replicatedVms' },
    { path: '/global/recovery-plans', label: 'global.nav.recoveryPlans' },
    { path: '/global/instant-recoveries', label: 'global.nav.instantRecoveries' },
    { path: '/global/settings', label: 'global.nav.settings' },
  ] as const;
}
