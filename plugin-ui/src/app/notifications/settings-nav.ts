import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';

import { MessagePipe } from '../i18n/message-pipe';

/**
 * The pages of Global > Settings: the server's own settings and the notification channels. The
 * global tab bar keeps Settings active on both (its link matches the path's start).
 */
@Component({
  selector: 'll-settings-nav',
  imports: [MessagePipe, RouterLink, RouterLinkActive],
  template: `
    <nav class="ll-settings-nav">
      <a class="btn btn-sm btn-link" routerLink="/global/settings" routerLinkActive="active" [routerLinkActiveOptions]="{ exact: true }">{{ 'settings.nav.server' | msg }}</a>
      <a class="btn btn-sm btn-link ll-settings-nav-notifications" routerLink="/global/settings/notifications" routerLinkActive="active">{{
        'settings.nav.notifications' | msg
      }}</a>
    </nav>
  `,
  styles: `
    .ll-settings-nav {
      display: flex;
      gap: 0.3rem;
      margin-bottom: 0.3rem;
    }
    .ll-settings-nav a.active {
      font-weight: 600;
      text-decoration: underline;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SettingsNav {}
