/**
 * The `Range` request header of a disk export (RFC 9110 §14): one byte range, or the whole disk.
 */
import type { ExportRange } from '../../export/index.js';

/** The single byte range a Range header asks for; 'ignore' to send the whole disk. */
export type RangeAsk = { kind: 'ignore' } | { kind: 'range'; range: ExportRange } | { kind: 'unsatisfiable'; why: string };

/**
 * Reads `Range: bytes=a-b | a- | -n`. Other units are ignored, as the RFC says; several ranges
 * are refused rather than answered with the whole disk, which a client asking for pieces rarely
 * wants. `If-Range` with another validator means the client's copy is stale: the whole disk then.
 */
export function rangeAsked(header: string | undefined, ifRange: string | undefined, etag: string, size: number): RangeAsk {
  if (header === undefined) return { kind: 'ignore' };
  const h = header.trim();
  if (!/^bytes=/i.test(h)) return { kind: 'ignore' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'ignore' };
  const spec = h.slice(6).trim();
  if (spec.includes(',')) return { kind: 'unsatisfiable', why: 'only a single byte range can be asked for' };
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable', why: `the range ${spec} is not of the form first-last, first- or -suffix` };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable', why: 'an empty suffix range selects nothing' };
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size } };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable', why: `the range starts at ${m[1]}, beyond the disk's ${size} bytes` };
  if (last < start) return { kind: 'unsatisfiable', why: `the range ${spec} ends before it starts` };
  return { kind: 'range', range: { start, end: last + 1 } };
}
