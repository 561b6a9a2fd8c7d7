import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { ClrProgressBarModule } from '@clr/angular/progress/progress-bars';

import { jobPercent } from '../api/job-event';
import type { Job } from '../api/job';
import { DurationPipe } from '../i18n/duration-pipe';
import { MessagePipe } from '../i18n/message-pipe';

/**
 * A job's progress bar: the share of bytes done when the total is known, a moving bar while it is
 * not, and the phase and time left beside it.
 */
@Component({
  selector: 'll-job-progress',
  imports: [ClrProgressBarModule, DurationPipe, MessagePipe],
  template: `
    @let p = percent();
    <div class="ll-job-progress" [attr.data-percent]="p">
      @if (p === null) {
        <clr-progress-bar clrLoop clrCompact [clrMax]="100" />
      } @else {
        <clr-progress-bar clrCompact [clrValue]="p" [clrMax]="100" />
      }
      <span class="ll-job-progress-text">
        @if (job().phase; as phase) {
          {{ phase }}
        }
        @if (p !== null) {
          {{ 'job.progress.percent' | msg: { percent: p } }}
        }
        @if (job().progress.etaSeconds; as eta) {
          {{ 'job.progress.eta' | msg: { eta: eta | duration } }}
        }
      </span>
    </div>
  `,
  styles: `
    .ll-job-progress {
      min-width: 10rem;
    }

    .ll-job-progress-text {
      font-size: 0.55rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class JobProgress {
  readonly job = input.required<Job>();
  protected readonly percent = computed(() => jobPercent(this.job().progress));
}
