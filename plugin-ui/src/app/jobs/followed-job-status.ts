import { ChangeDetectionStrategy, Component, input } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';
import type { FollowedJob } from './followed-job';
import { JobKindPipe } from './job-labels';
import { JobProgress } from './job-progress';
import { JobStateLabel } from './job-state-label';

/**
 * A job a view follows, as every view shows it: its kind, its state, the live progress bar while it
 * runs and its error once it has failed; and a note while its live updates are interrupted.
 */
@Component({
  selector: 'll-followed-job',
  imports: [JobKindPipe, JobProgress, JobStateLabel, MessagePipe],
  template: `
    @if (followed().job(); as job) {
      <div class="ll-followed-job">
        @if (showKind()) {
          <span class="ll-job-kind">{{ job.kind | jobKind }}</span>
        }
        <ll-job-state-label [state]="job.state" />
        @if (followed().active()) {
          <ll-job-progress [job]="job" />
        } @else if (job.error; as error) {
          <span class="ll-job-error">{{ error.message }}</span>
        }
      </div>
    }
    @if (followed().error(); as error) {
      <p class="ll-hint ll-stream-lost">{{ 'jobs.stream.lost' | msg }} {{ error.title }}</p>
    }
  `,
  styles: `
    :host {
      display: block;
    }

    .ll-followed-job {
      display: flex;
      align-items: center;
      gap: 0.6rem;
      max-width: 36rem;
      margin: 0.6rem 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FollowedJobStatus {
  readonly followed = input.required<FollowedJob>();
  /** Off where the view says what the job is already (the "Back up now" dialog). */
  readonly showKind = input(true);
}
