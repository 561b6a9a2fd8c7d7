import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { Injectable, InjectionToken, inject } from '@angular/core';

import { LifelineApi } from './lifeline-api';
import { LifelineApiError, toLifelineApiError } from './lifeline-api-error';
import { EventStreamParser, type ServerSentEvent } from './event-stream-parser';

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** The browser's fetch; specs put a stream of their own text in its place. */
export const FETCH = new InjectionToken<FetchFunction>('fetch for event streams', {
  providedIn: 'root',
  factory: () => (input, init) => globalThis.fetch(input, init),
});

/** What EventSource waits before reconnecting, until the server's `retry:` says otherwise. */
export const DEFAULT_RETRY_MS = 3000;

export interface EventStreamOptions {
  /** Ends the stream for good; nothing is reported after it. */
  readonly signal: AbortSignal;
  /** Resume after this event, as a page that kept the id across a reload would. */
  readonly lastEventId?: string;
  readonly onEvent: (event: ServerSentEvent) => void;
  /** A failed connection. A refusal (4xx) ends the stream; anything else is retried. */
  readonly onError?: (error: LifelineApiError) => void;
  /** Asked when the server ends the stream; a per-job stream ends for good with its job. */
  readonly reconnect?: () => boolean;
}

/**
 * Reads a Lifeline server-sent event stream with fetch(), because the API needs the
 * `vmware-api-session-id` header and EventSource cannot send headers. Reconnects like EventSource:
 * after the server's `retry:` delay, with `Last-Event-ID` set to the last id seen, so the server
 * replays exactly the missed events (or sends a snapshot or resync when it no longer can).
 */
@Injectable({ providedIn: 'root' })
export class EventStreamClient {
  private readonly api = inject(LifelineApi);
  private readonly fetch = inject(FETCH);

  /** Resolves when the stream has ended for good: aborted, refused, or not to be reconnected. */
  async read(path: string, options: EventStreamOptions): Promise<void> {
    const { signal } = options;
    const parser = new EventStreamParser(options.lastEventId ?? '');
    while (!signal.aborted) {
      try {
        const { url, headers } = await this.api.endpoint(path);
        const requestHeaders: Record<string, string> = { ...headers, Accept: 'text/event-stream' };
        if (parser.lastEventId !== '') {
          requestHeaders['Last-Event-ID'] = parser.lastEventId;
        }
        const response = await this.fetch(url, { headers: requestHeaders, signal, cache: 'no-store' });
        if (!response.ok) {
          const error = await this.problemOf(response);
          options.onError?.(error);
          if (response.status >= 400 && response.status < 500) {
            return;
          }
        } else if (response.body !== null) {
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              break;
            }
            for (const event of parser.push(value)) {
              if (signal.aborted) {
                return;
              }
              options.onEvent(event);
            }
          }
          if (options.reconnect !== undefined && !options.reconnect()) {
            return;
          }
        }
      } catch (error: unknown) {
        if (signal.aborted) {
          return;
        }
        options.onError?.(
          error instanceof LifelineApiError
            ? error
            : toLifelineApiError(new HttpErrorResponse({ status: 0, error }), this.api.errorTitles()),
        );
      }
      parser.reset();
      await delay(parser.retryMs ?? DEFAULT_RETRY_MS, signal);
    }
  }

  private async problemOf(response: Response): Promise<LifelineApiError> {
    const text = await response.text().catch(() => '');
    const contentType = response.headers.get('content-type') ?? '';
    const headers = new HttpHeaders({ 'content-type': contentType });
    return toLifelineApiError(new HttpErrorResponse({ status: response.status, headers, error: text }), this.api.errorTitles());
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
