import { Injectable, inject } from '@angular/core';

import { EventStreamClient } from '../api/event-stream';
import { applyJobEvent, readJobEvent, type JobEvent } from '../api/job-event';
import { isActiveJobState, type Job } from '../api/job';
import type { LifelineApiError } from '../api/lifeline-api-error';

export interface JobStreamOptions {
  readonly signal: AbortSignal;
  readonly onError?: (error: LifelineApiError) => void;
}

/** Live job events from the server's streams, read as typed events. */
@Injectable({ providedIn: 'root' })
export class JobStream {
  private readonly streams = inject(EventStreamClient);

  /**
   * One job, as a whole record after every event. The server opens with a snapshot, so the first
   * report is the job as it stands; the stream ends once the job has.
   */
  watch(jobId: string, options: JobStreamOptions & { readonly onJob: (job: Job) => void }): Promise<void> {
    let job: Job | null = null;
    return this.streams.read(`/api/v1/jobs/${encodeURIComponent(jobId)}/events`, {
      signal: options.signal,
      ...(options.onError ? { onError: options.onError } : {}),
      onEvent: (raw) => {
        const event = readJobEvent(raw);
        if (event === null || event.jobId !== jobId) {
          return;
        }
        if (event.type === 'state' || event.type === 'snapshot') {
          job = applyJobEvent(job ?? event.job, event);
        } else if (job !== null) {
          job = applyJobEvent(job, event);
        } else {
          // Progress before the first snapshot cannot happen on a fresh stream; nothing to attach it to.
          return;
        }
        options.onJob(job);
      },
      reconnect: () => job === null || isActiveJobState(job.state),
    });
  }

  /** Every job's events, for views that list jobs. A `resync` asks the view to reload its list. */
  watchAll(options: JobStreamOptions & { readonly onEvent: (event: JobEvent) => void }): Promise<void> {
    return this.streams.read('/api/v1/events', {
      signal: options.signal,
      ...(options.onError ? { onError: options.onError } : {}),
      onEvent: (raw) => {
        const event = readJobEvent(raw);
        if (event !== null) {
          options.onEvent(event);
        }
      },
    });
  }
}
