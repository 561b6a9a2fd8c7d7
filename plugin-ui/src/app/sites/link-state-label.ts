import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import type { LinkState, LinkStats } from './sites-api.types';

const LINK_LABELS: Readonly<Record<LinkState, { readonly text: MessageKey; readonly css: string }>> = {
  idle: { text: 'sites.link.idle', css: 'label-success' },
  replicating: { text: 'sites.link.replicating', css: 'label-info' },
  unreachable: { text: 'sites.link.unreachable', css: 'label-danger' },
  refused: { text: 'sites.link.refused', css: 'label-danger' },
};

/** How the link to a paired site stands, as a Clarity label; a link nothing has used yet says so. */
@Component({
  selector: 'll-link-state-label',
  imports: [MessagePipe],
  template: `
    @if (label(); as label) {
      <span class="label ll-link-state" [class]="label.css">{{ label.text | msg }}</span>
    } @else {
      <span class="ll-hint ll-link-state">{{ 'sites.link.none' | msg }}</span>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LinkStateLabel {
  readonly link = input.required<LinkStats | null>();
  protected readonly label = computed(() => {
    const link = this.link();
    return link === null ? null : LINK_LABELS[link.state];
  });
}
