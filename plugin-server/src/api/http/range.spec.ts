import { rangeAsked } from './range.js';

describe('rangeAsked', () => {
  const etag = '"p-disk0"';
  const size = 1000;

  it('sends the whole disk without a Range header, for another unit, and for a stale If-Range', () => {
    expect(rangeAsked(undefined, undefined, etag, size)).toEqual({ kind: 'ignore' });
    expect(rangeAsked('items=0-9', undefined, etag, size)).toEqual({ kind: 'ignore' });
    expect(rangeAsked('bytes=0-9', '"other"', etag, size)).toEqual({ kind: 'ignore' });
  });

  it('reads first-last, first- and -suffix as half-open ranges within the disk', () => {
    expect(rangeAsked('bytes=0-9', etag, etag, size)).toEqual({ kind: 'range', range: { start: 0, end: 10 } });
    expect(rangeAsked('bytes=990-', undefined, etag, size)).toEqual({ kind: 'range', range: { start: 990, end: 1000 } });
    expect(rangeAsked('bytes=-10', undefined, etag, size)).toEqual({ kind: 'range', range: { start: 990, end: 1000 } });
    // A last byte beyond the disk ends at the disk; a suffix longer than the disk is the whole disk.
    expect(rangeAsked('bytes=500-5000', undefined, etag, size)).toEqual({ kind: 'range', range: { start: 500, end: 1000 } });
    expect(rangeAsked('bytes=-5000', undefined, etag, size)).toEqual({ kind: 'range', range: { start: 0, end: 1000 } });
  });

  it('refuses several ranges, malformed ones, empty ones and ones beyond the disk, saying why', () => {
    for (const header of ['bytes=0-1,5-9', 'bytes=a-b', 'bytes=-', 'bytes=-0', 'bytes=1000-', 'bytes=9-3']) {
      const ask = rangeAsked(header, undefined, etag, size);
      expect(ask.kind).withContext(header).toBe('unsatisfiable');
      if (ask.kind === 'unsatisfiable') expect(ask.why).withContext(header).not.toBe('');
    }
  });
});
