import { EventStreamClient } from './event-stream';
import type { ServerSentEvent } from './event-stream-parser';
import type { FakeFetch } from './fake-fetch';
import type { LifelineApiError } from './lifeline-api-error';
import { SESSION_HEADER } from './lifeline-api';
import { API_BASE, configureViewTestBed, settle } from '../testing/view-test-bed';
import { TestBed } from '@angular/core/testing';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

describe('EventStreamClient', () => {
  let fetch: FakeFetch;
  let client: EventStreamClient;
  let aborter: AbortController;
  let events: ServerSentEvent[];
  let errors: LifelineApiError[];

  beforeEach(async () => {
    ({ fetch } = configureViewTestBed());
    await TestBed.inject(HtmlClientSdkService).initialize();
    client = TestBed.inject(EventStreamClient);
    aborter = new AbortController();
    events = [];
    errors = [];
  });

  afterEach(() => aborter.abort());

  function read(reconnect?: () => boolean): Promise<void> {
    return client.read('/api/v1/events', {
      signal: aborter.signal,
      onEvent: (e) => events.push(e),
      onError: (e) => errors.push(e),
      ...(reconnect ? { reconnect } : {}),
    });
  }

  function problem(status: number, title: string): Response {
    return new Response(JSON.stringify({ title, detail: `${title}.`, status, code: 'x' }), {
      status,
      headers: { 'content-type': 'application/problem+json' },
    });
  }

  it('sends the session header that EventSource could not, and delivers events as they arrive', async () => {
    void read();
    const first = await fetch.call(0);
    expect(first.url).toBe(`${API_BASE}/api/v1/events`);
    expect(first.headers[SESSION_HEADER]).toBe('fake-session-token');
    expect(first.headers['Last-Event-ID']).toBeUndefined();
    first.stream.write('id: 4\nevent: state\ndata: {}\n\n');
    await settle();
    expect(events.map((e) => e.type)).toEqual(['state']);
  });

  it('reconnects after the server ends the stream, resuming after the last event it saw', async () => {
    void read();
    const first = await fetch.call(0);
    first.stream.write('retry: 0\n\nid: 12\nevent: progress\ndata: {}\n\n');
    first.stream.end();
    const second = await fetch.call(1);
    expect(second.headers['Last-Event-ID']).toBe('12');
    expect(second.headers[SESSION_HEADER]).toBe('fake-session-token');
  });

  it('reports a server failure and keeps trying', async () => {
    void read();
    const first = await fetch.call(0);
    fetch.answers.push(problem(503, 'Service Unavailable'));
    first.stream.write('retry: 0\n\n');
    first.stream.end();
    await fetch.call(2);
    expect(errors.map((e) => [e.status, e.title, e.detail])).toEqual([[503, 'Service Unavailable', 'Service Unavailable.']]);
  });

  it('stops for good when the server refuses the stream (4xx)', async () => {
    fetch.answers.push(problem(403, 'Forbidden'));
    await read();
    expect(errors.map((e) => e.status)).toEqual([403]);
    expect(fetch.calls.length).toBe(1);
  });

  it('does not reconnect a stream whose purpose has ended', async () => {
    const done = read(() => false);
    const first = await fetch.call(0);
    first.stream.write('retry: 0\n\n');
    first.stream.end();
    await done;
    expect(fetch.calls.length).toBe(1);
  });

  it('ends without a report when the caller aborts', async () => {
    const done = read();
    await fetch.call(0);
    aborter.abort();
    await done;
    expect(errors).toEqual([]);
  });
});
