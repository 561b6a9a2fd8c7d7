import type { FetchFunction } from './event-stream';

/** One response a spec writes an event stream into, chunk by chunk, as a server would. */
export class FakeStreamResponse {
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private readonly encoder = new TextEncoder();
  private ended = false;
  readonly response: Response;

  constructor(status = 200, contentType = 'text/event-stream') {
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (this.controller = controller) });
    this.response = new Response(body, { status, headers: { 'content-type': contentType } });
  }

  write(text: string): void {
    this.controller?.enqueue(this.encoder.encode(text));
  }

  /** Ends the stream as the server closing the connection does; ending it twice changes nothing. */
  end(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.controller?.close();
  }
}

export interface FakeFetchCall {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly stream: FakeStreamResponse;
}

/**
 * A fetch() for specs of event streams: every call gets a fresh stream the spec writes into,
 * and is recorded with the headers it was made with.
 */
export class FakeFetch {
  readonly calls: FakeFetchCall[] = [];
  private waiting: ((call: FakeFetchCall) => void)[] = [];
  /** Answers for the next calls, in order; a call beyond them gets an open event stream. */
  readonly answers: Response[] = [];

  readonly fetch: FetchFunction = (url, init) => {
    const stream = new FakeStreamResponse();
    const call: FakeFetchCall = { url, headers: { ...(init.headers as Record<string, string>) }, stream };
    this.calls.push(call);
    this.waiting.splice(0).forEach((resolve) => resolve(call));
    const answer = this.answers.shift();
    init.signal?.addEventListener('abort', () => stream.end(), { once: true });
    return Promise.resolve(answer ?? stream.response);
  };

  /** The call number `index` (from 0), once it has been made. */
  async call(index: number): Promise<FakeFetchCall> {
    while (this.calls.length <= index) {
      await new Promise<FakeFetchCall>((resolve) => this.waiting.push(resolve));
    }
    return this.calls[index] as FakeFetchCall;
  }
}
