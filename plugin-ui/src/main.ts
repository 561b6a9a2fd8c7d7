import { bootstrapApplication } from '@angular/platform-browser';

import { App } from './app/app';
import { appConfig } from './app/app.config';

bootstrapApplication(App, appConfig).catch((error: unknown) => {
  // Nothing of Lifeline is on screen if bootstrap fails; the console is the only place left to say why.
  console.error('Lifeline UI failed to start', error);
});
