import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

import type { JobState } from '../api/job';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';

const LABELS: Readonly<Record<JobState, { readonly key: MessageKey; readonly css: string }>> = {
  queued: { key: 'job.state.queued', css: '' },
  running: { key: 'job.state.running', css: 'label-info' },
  succeeded: { key: 'job.state.succeeded', css: 'label-success' },
  failed: { key: 'job.state.failed', css: 'label-danger' },
  cancelled: { key: 'job.state.cancelled', css: 'label-warning' },
  interrupted: { key: 'job.state.interrupted', css: 'label-warning' },
};

/** A job's state as a Clarity label, coloured by how it ended. */
@Component({
  selector: 'll-job-state-label',
  imports: [MessagePipe],
  template: `<span class="label ll-job-state" [class]="label().css" [attr.data-state]="state()">{{ label().key | msg }}</span>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class JobStateLabel {
  readonly state = input.required<JobState>();
  protected readonly label = computed(() => LABELS[this.state()]);
}
