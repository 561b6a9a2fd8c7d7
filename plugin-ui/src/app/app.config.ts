import { provideHttpClient, withFetch } from '@angular/common/http';
import {
  type ApplicationConfig,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideAnimationsAsync } from '@angular/platform-browser/animations/async';
import { provideRouter, withHashLocation } from '@angular/router';

import { routes } from './app.routes';
import { HtmlClientSdkService } from './sdk/html-client-sdk';
import { StartupFailure } from './startup-failure';
import { ThemeService } from './theme/theme';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    // Hash routing: the vSphere Client loads each view as index.html#/<route> from plugin.json,
    // and the server serves index.html for no other path.
    provideRouter(routes, withHashLocation()),
    provideHttpClient(withFetch()),
    // Clarity's modals animate with @angular/animations.
    provideAnimationsAsync(),
    // No view may touch the vSphere Client before its SDK is initialized. When it cannot be, the
    // root says why instead of any view (a failed initializer would leave the frame blank).
    provideAppInitializer(async () => {
      const sdk = inject(HtmlClientSdkService);
      const theme = inject(ThemeService);
      const startup = inject(StartupFailure);
      try {
        await sdk.initialize();
        theme.follow();
      } catch (error) {
        startup.set(error);
      }
    }),
  ],
};
