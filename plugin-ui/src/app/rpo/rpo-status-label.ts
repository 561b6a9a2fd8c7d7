import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

import type { RpoStatus } from '../api/vm-protection';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';

const LABELS: Readonly<Record<RpoStatus, { readonly key: MessageKey; readonly css: string }>> = {
  compliant: { key: 'rpo.compliant', css: 'label-success' },
  'at-risk': { key: 'rpo.atRisk', css: 'label-warning' },
  violated: { key: 'rpo.violated', css: 'label-danger' },
};

/** A VM's RPO compliance as a Clarity label: green, amber or red. */
@Component({
  selector: 'll-rpo-status-label',
  imports: [MessagePipe],
  template: `<span class="label ll-rpo-badge" [class]="label().css" [attr.data-status]="status()">{{ label().key | msg }}</span>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RpoStatusLabel {
  readonly status = input.required<RpoStatus>();
  protected readonly label = computed(() => LABELS[this.status()]);
}
