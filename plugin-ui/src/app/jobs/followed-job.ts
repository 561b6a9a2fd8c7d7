import { computed, signal } from '@angular/core';

import { isActiveJobState, type Job } from '../api/job';
import type { LifelineApiError } from '../api/lifeline-api-error';
import type { JobStream } from './job-stream';

/**
 * One job a view shows live: its record as a signal, kept current from the job's event stream
 * until the job ends or the view goes away. Following another job stops following the first.
 */
export class FollowedJob {
  private watch: AbortController | null = null;

  readonly job = signal<Job | null>(null);
  readonly active = computed(() => {
    const job = this.job();
    return job !== null && isActiveJobState(job.state);
  });
  /** The stream's last failure; the stream keeps reconnecting after one, except after a 4xx. */
  readonly error = signal<LifelineApiError | null>(null);

  constructor(
    private readonly stream: JobStream,
    /** The view's lifetime: once aborted, nothing is followed or reported any more. */
    private readonly lifetime: AbortSignal,
  ) {
    lifetime.addEventListener('abort', () => this.watch?.abort(), { once: true });
  }

  /**
   * Shows `job` at once when the caller has its record (as "back up now" answers it), else from
   * the stream's opening snapshot. `ended` runs once the stream has ended with the job.
   */
  follow(jobId: string, job: Job | null, ended?: () => void): void {
    this.watch?.abort();
    const watch = new AbortController();
    this.watch = watch;
    this.job.set(job);
    this.error.set(null);
    const live = (): boolean => !watch.signal.aborted && !this.lifetime.aborted;
    void this.stream
      .watch(jobId, {
        signal: watch.signal,
        onJob: (next) => {
          this.error.set(null);
          this.job.set(next);
        },
        onError: (error) => this.error.set(error),
      })
      .then(() => {
        if (live()) {
          ended?.();
        }
      });
  }
}
