/**
 * The text/event-stream format (WHATWG HTML, "server-sent events") read from chunks as they
 * arrive. Chunks split anywhere, also inside a line or between the CR and LF of a line end, so the
 * parser keeps what it has not seen the end of. It also keeps the last event id and the reconnect
 * delay the server asked for, which survive the connection, as EventSource keeps them.
 */

export interface ServerSentEvent {
  /** The `event:` field, or `message` when the server named none. */
  readonly type: string;
  readonly data: string;
  /** The last event id in force when this event was dispatched (the stream's, not just this event's). */
  readonly lastEventId: string;
}

export class EventStreamParser {
  private buffer = '';
  /** A chunk ended with CR; an LF at the start of the next one belongs to that line end. */
  private pendingCr = false;
  private eventType = '';
  private data: string[] = [];
  private hasData = false;
  /** The id of the event being read; it counts only once that event is complete. */
  private idBuffer: string;

  /**
   * The id to send as Last-Event-ID when reconnecting: that of the last complete event, so an
   * event cut off by a dropped connection is sent again rather than skipped.
   */
  lastEventId: string;
  /** The reconnect delay the server asked for with `retry:`, if it did. */
  retryMs: number | null = null;

  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  /** Feeds decoded text; answers the events that text completed, in order. */
  push(chunk: string): ServerSentEvent[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) {
      text = text.slice(1);
    }
    this.pendingCr = false;
    this.buffer += text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') {
        continue;
      }
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) {
          this.pendingCr = true;
        } else if (this.buffer[i + 1] === '\n') {
          i++;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event !== null) {
        events.push(event);
      }
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * The connection ended. An event without its closing blank line is dropped, as EventSource does:
   * the server will send it again after the last id the client has.
   */
  reset(): void {
    this.buffer = '';
    this.pendingCr = false;
    this.eventType = '';
    this.data = [];
    this.hasData = false;
    this.idBuffer = this.lastEventId;
  }

  private line(line: string): ServerSentEvent | null {
    if (line === '') {
      return this.dispatch();
    }
    if (line.startsWith(':')) {
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        // An id with NUL is ignored by the standard, so a broken server cannot poison the resume point.
        if (!value.includes('\0')) {
          this.idBuffer = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) {
          this.retryMs = Number(value);
        }
        break;
      default:
        break;
    }
    return null;
  }

  private dispatch(): ServerSentEvent | null {
    // As in the WHATWG algorithm: the id counts at the blank line, with or without data.
    this.lastEventId = this.idBuffer;
    const type = this.eventType || 'message';
    const data = this.data.join('\n');
    const hasData = this.hasData;
    this.eventType = '';
    this.data = [];
    this.hasData = false;
    return hasData ? { type, data, lastEventId: this.lastEventId } : null;
  }
}
