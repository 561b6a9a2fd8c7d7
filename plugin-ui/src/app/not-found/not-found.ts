import { ChangeDetectionStrategy, Component } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';

/** A plugin.json of another Lifeline version may name a route this build lacks. */
@Component({
  selector: 'll-not-found',
  imports: [MessagePipe],
  template: `<section class="ll-view"><p>{{ 'notFound.text' | msg }}</p></section>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotFound {}
