import { EventStreamParser } from './event-stream-parser';

describe('EventStreamParser', () => {
  it('reads named events with their id, and keeps the last id', () => {
    const parser = new EventStreamParser();
    expect(parser.push('id: 7\nevent: progress\ndata: {"a":1}\n\n')).toEqual([{ type: 'progress', data: '{"a":1}', lastEventId: '7' }]);
    expect(parser.lastEventId).toBe('7');
  });

  it('joins data lines, skips comments, and names unnamed events message', () => {
    const parser = new EventStreamParser();
    expect(parser.push(': heartbeat\n\ndata: one\ndata:two\n\n')).toEqual([{ type: 'message', data: 'one\ntwo', lastEventId: '' }]);
  });

  it('keeps what a chunk cut off, also between CR and LF', () => {
    const parser = new EventStreamParser();
    expect(parser.push('id: 1\r\nevent: st')).toEqual([]);
    expect(parser.push('ate\r\ndata: x\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([{ type: 'state', data: 'x', lastEventId: '1' }]);
    // The LF after the last CR belongs to that line end, not to an empty line of its own.
    expect(parser.push('\ndata: y\n\n')).toEqual([{ type: 'message', data: 'y', lastEventId: '1' }]);
  });

  it('takes the reconnect delay the server asks for, and ignores one that is not a number', () => {
    const parser = new EventStreamParser();
    parser.push('retry: 3000\n\n');
    expect(parser.retryMs).toBe(3000);
    parser.push('retry: soon\n\n');
    expect(parser.retryMs).toBe(3000);
  });

  it('does not dispatch an event without data, nor an id with NUL', () => {
    const parser = new EventStreamParser('5');
    expect(parser.push('event: state\n\nid: 6\0\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('5');
  });

  it('drops an event the connection cut off, but keeps the last id across the reset', () => {
    const parser = new EventStreamParser();
    parser.push('id: 9\ndata: whole\n\nid: 10\ndata: half');
    parser.reset();
    expect(parser.lastEventId).toBe('9');
    expect(parser.push('\n\n')).toEqual([]);
  });
});
