/**
 * A restore point's disk as an HTTP answer: the raw image (whole or one byte range, with ETag and
 * If-Range) or a stream-optimized VMDK, streamed as the chunks are read and verified. A damaged
 * point (a chunk corrupt or missing) is answered with a problem naming the point, the disk and the
 * chunk while no header has gone out — the first read-ahead window is verified before the first
 * byte — and otherwise the connection is torn down, so that no client takes a truncated image for
 * a whole one.
 */
import type { Request, Response } from 'express';
import { describeError, isLifelineError, type LifelineError } from '../../errors/index.js';
import { exportFileName, exportRaw, exportStreamOptimizedVmdk, isDamagedPointError, type OpenedPointDisk } from '../../export/index.js';
import type { PointRow } from '../../catalog/index.js';
import type { Logger } from '../../log/index.js';
import { isStoreError } from '../../store/index.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../problem.js';
import { requestContext } from '../request-context.js';
import { rangeAsked } from './range.js';
import { ResponseSink } from './response-sink.js';

export type AuditDetails = Record<string, string | number | boolean | null>;
/** Adds details to the audit record of the request being served. */
export type AuditNote = (details: AuditDetails) => void;

/** How one download ended, for events out: sent to its end, or failed on this side. */
export interface ExportEnd {
  readonly point: PointRow;
  readonly disk: number;
  readonly capacityBytes: number;
  readonly format: 'raw' | 'vmdk';
  /** The whole disk, not a byte range. */
  readonly whole: boolean;
  readonly error: { code: string; message: string } | null;
}

export interface DiskExportContext {
  readonly log: Logger;
  /** Marks the point as being read until the returned function is called. */
  readonly hold: (pointId: string) => () => void;
  /** Told how each download ended (not a client that went away). */
  readonly ended?: (end: ExportEnd) => void;
}

function contentDisposition(fileName: string): string {
  return `attachment; filename="${fileName}"`;
}

/**
 * Runs an export into the response. A damaged point before the headers: a problem naming it.
 * After: the connection is destroyed. A client that went away: nothing more to do.
 */
async function stream(ctx: DiskExportContext, req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, sink: ResponseSink, note: AuditNote, what: { format: 'raw' | 'vmdk'; whole: boolean }, run: () => Promise<unknown>): Promise<void> {
  const { log } = ctx;
  const ended = (error: unknown) => {
    const e = error === null ? null : { code: isLifelineError(error) ? error.code : 'internal', message: describeError(error) };
    try {
      ctx.ended?.({ point: p, disk: disk.disk, capacityBytes: disk.capacity, ...what, error: e });
    } catch (err) {
      log.error('export outcome not told', { pointId: p.id, error: describeError(err) });
    }
  };
  const { signal, id: requestId } = requestContext(req);
  // Until the response is over, maintenance leaves this point's VM alone.
  const release = ctx.hold(p.id);
  res.once('close', () => release());
  try {
    await run();
    sink.start();
    res.end();
    ended(null);
  } catch (err) {
    if (signal.aborted || res.destroyed) {
      // The client went away, or the server is stopping: the reads have stopped with the request.
      log.info('export aborted', { requestId, pointId: p.id, disk: disk.disk, reason: describeError(signal.reason ?? err) });
      return;
    }
    ended(err);
    const damaged = isDamagedPointError(err) || isStoreError(err, 'index-invalid');
    if (damaged) {
      note({ failure: err.code, ...(typeof err.details['chunk'] === 'string' ? { chunk: err.details['chunk'] } : {}) });
      log.error('export stopped: the restore point is damaged', { requestId, errorId: requestId, pointId: p.id, disk: disk.disk, code: err.code, error: err.message, ...err.details });
    }
    if (!sink.started && damaged) {
      sendDamaged(res, err, requestId);
      return;
    }
    if (!sink.started) throw err;
    if (!damaged) log.error('export failed after the response started', { requestId, errorId: requestId, pointId: p.id, disk: disk.disk, error: describeError(err) });
    // A truncated body must never pass for a whole one: the connection goes, without its end.
    res.destroy(err instanceof Error ? err : new Error(describeError(err)));
  }
}

/** The raw image, or the byte range asked for, of an opened disk. */
export async function sendRaw(ctx: DiskExportContext, req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, note: AuditNote): Promise<void> {
  const size = disk.capacity;
  const etag = `"${p.id}-disk${disk.disk}"`;
  const ask = rangeAsked(req.get('range'), req.get('if-range'), etag, size);
  note({ format: 'raw', ...(ask.kind === 'range' ? { rangeStart: ask.range.start, rangeEnd: ask.range.end } : {}) });
  if (ask.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    res.setHeader('Accept-Ranges', 'bytes');
    sendProblemOf(res, requestContext(req).id, 416, 'range-not-satisfiable', `${ask.why}; disk ${disk.disk} of restore point ${p.id} has ${size} bytes`, { size });
    return;
  }
  const range = ask.kind === 'range' ? ask.range : { start: 0, end: size };
  const sink = new ResponseSink(res, () => {
    res.status(ask.kind === 'range' ? 206 : 200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(range.end - range.start));
    if (ask.kind === 'range') res.setHeader('Content-Range', `bytes ${range.start}-${range.end - 1}/${size}`);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', new Date(p.createdAt).toUTCString());
    res.setHeader('Content-Disposition', contentDisposition(exportFileName(p.vmName, p.id, disk.disk, 'raw')));
  });
  if (req.method === 'HEAD') {
    sink.start();
    res.end();
    return;
  }
  await stream(ctx, req, res, p, disk, sink, note, { format: 'raw', whole: ask.kind !== 'range' }, () => exportRaw(disk, sink, { range, signal: requestContext(req).signal }));
}

/** An opened disk as a stream-optimized VMDK. */
export async function sendVmdk(ctx: DiskExportContext, req: Request, res: Response, p: PointRow, disk: OpenedPointDisk, note: AuditNote): Promise<void> {
  note({ format: 'vmdk' });
  const fileName = exportFileName(p.vmName, p.id, disk.disk, 'vmdk');
  const sink = new ResponseSink(res, () => {
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    // The size is known only at the end: the body is chunked, and not seekable.
    res.setHeader('Accept-Ranges', 'none');
    // Weak: the same content, but deflate's bytes may differ between zlib versions.
    res.setHeader('ETag', `W/"${p.id}-disk${disk.disk}-vmdk"`);
    res.setHeader('Last-Modified', new Date(p.createdAt).toUTCString());
    res.setHeader('Content-Disposition', contentDisposition(fileName));
  });
  if (req.method === 'HEAD') {
    sink.start();
    res.end();
    return;
  }
  await stream(ctx, req, res, p, disk, sink, note, { format: 'vmdk', whole: true }, () => exportStreamOptimizedVmdk(disk, sink, { fileName, signal: requestContext(req).signal }));
}

function sendProblemOf(res: Response, requestId: string, status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): void {
  const problem: Problem = {
    ...extensions,
    type: 'about:blank',
    title: status === 416 ? 'Range Not Satisfiable' : 'Internal Server Error',
    status,
    detail,
    instance: `urn:uuid:${requestId}`,
    code,
    ...(status >= 500 ? { errorId: requestId } : {}),
  };
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * A damaged point is a known condition, not an internal error whose message must stay hidden:
 * the administrator needs the chunk's id to act (verify, repair from the paired site), so the
 * detail names it.
 */
function sendDamaged(res: Response, err: LifelineError, requestId: string): void {
  const { pointId, disk, chunk, offset } = err.details;
  sendProblemOf(res, requestId, 500, err.code, err.message, { pointId, disk, ...(chunk !== undefined ? { chunk, offset } : {}) });
}
