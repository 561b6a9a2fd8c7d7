/**
 * Datastore files over vCenter's HTTP file access, `https://<vc>/folder/<path>?dcPath=&dsName=`,
 * with the session cookie: ranged GETs to read disks (the path every backup's bytes take), PUT to
 * upload, and the FileManager calls to delete files and make directories.
 *
 * Ranged reads into a buffer (what a backup does, 4 MiB at a time) take the fast path of
 * range-client.ts: a few kept-alive pinned TLS connections, each range copied once, straight into
 * the caller's buffer. Streaming reads and uploads use the session's pinned keep-alive https.Agent.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifelineError, ValidationError } from '../errors/index.js';
import { parseDatastorePath } from './datastore-path.js';
import { runTask, type TaskOptions } from './tasks.js';
import { DatastoreHttpError, VimConnectionError, VimFaultError } from './vim-errors.js';
import type { VimSession } from './vim-session.js';
import { encodeMoRef, type MoRef } from './vim-values.js';

/** A file on a datastore, as the `/folder` URL names it. */
export interface DatastoreFile {
  /** The datacenter's inventory path (`DatacenterInfo.path`), e.g. "DC0" or "Europe/DC1". */
  readonly datacenterPath: string;
  /** "[datastore] folder/file". */
  readonly datastorePath: string;
}

/** The `/folder` URL of a datastore file. */
export function datastoreFileUrl(origin: string, file: DatastoreFile): string {
  const { datastore, path } = parseDatastorePath(file.datastorePath);
  if (path === '') throw new ValidationError(`a datastore file path needs a file name: ${file.datastorePath}`);
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${origin}/folder/${encoded}?dcPath=${encodeURIComponent(file.datacenterPath)}&dsName=${encodeURIComponent(datastore)}`;
}

function notAuthenticated(file: DatastoreFile, method: string): VimFaultError {
  return new VimFaultError('NotAuthenticated', `vCenter refused ${method} of ${file.datastorePath} without a live session`, { method: `HTTP ${method}` });
}

function readBody(res: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < limit) chunks.push(c);
      size += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, limit).trim()));
    res.on('error', () => resolve(''));
  });
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function get(session: VimSession, url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
  const attempt = (): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = https.request(url, { method: 'GET', agent: session.agent, headers, ...(signal ? { signal } : {}) }, resolve);
      req.on('error', reject);
      req.end();
    });
  return attempt().catch((err: unknown) => {
    // A kept-alive connection the server closed while idle fails on first use; GET is safe to repeat.
    if (!signal?.aborted && err instanceof Error && RETRYABLE.has((err as NodeJS.ErrnoException).code ?? '')) return attempt();
    throw err;
  });
}

function wrapNetworkError(session: VimSession, err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof Error && !(err instanceof LifelineError)) {
    return new VimConnectionError(session.origin, err.message, { cause: err });
  }
  return err;
}

function sessionHeaders(session: VimSession): Record<string, string> {
  const cookie = session.transport.cookie;
  return cookie !== undefined ? { Cookie: cookie } : {};
}

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * Opens a datastore file for reading, whole or a byte range; the response streams the bytes.
 * A lost session is re-established before the first byte. The caller must consume or destroy it.
 */
export async function openDatastoreFile(session: VimSession, file: DatastoreFile, range?: ByteRange, signal?: AbortSignal): Promise<IncomingMessage> {
  const url = datastoreFileUrl(session.origin, file);
  if (range && (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length <= 0)) {
    throw new ValidationError(`not a byte range: offset ${range.offset}, length ${range.length}`);
  }
  const res = await session
    .withSession(async () => {
      const headers = sessionHeaders(session);
      if (range) headers['Range'] = `bytes=${range.offset}-${range.offset + range.length - 1}`;
      const r = await get(session, url, headers, signal);
      if (r.statusCode === 401) {
        r.resume();
        throw notAuthenticated(file, 'GET');
      }
      return r;
    }, signal)
    .catch((err: unknown) => {
      throw wrapNetworkError(session, err, signal);
    });
  const status = res.statusCode ?? 0;
  if (range ? status !== 206 && status !== 200 : status !== 200) {
    const body = await readBody(res);
    throw new DatastoreHttpError(status, 'GET', file.datastorePath, body);
  }
  if (range && status === 200) {
    // A server that ignores Range would send the whole file: refuse instead of reading a disk's worth.
    res.destroy();
    throw new DatastoreHttpError(status, 'GET', file.datastorePath, 'the server ignored the Range header');
  }
  if (range) {
    const m = /^bytes (\d+)-(\d+)\//.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== range.offset) {
      res.destroy();
      throw new DatastoreHttpError(status, 'GET', file.datastorePath, `unexpected Content-Range ${String(res.headers['content-range'])}`);
    }
  }
  return res;
}

/**
 * Reads a byte range into `target` (from its start); returns how many bytes were read, which is
 * less than the range only where the file ends. This is the path of every byte a backup reads.
 */
export async function readDatastoreRangeInto(session: VimSession, file: DatastoreFile, offset: number, target: Buffer, signal?: AbortSignal): Promise<number> {
  if (!Number.isSafeInteger(offset) || offset < 0 || target.length === 0) {
    throw new ValidationError(`not a byte range: offset ${offset}, length ${target.length}`);
  }
  const url = new URL(datastoreFileUrl(session.origin, file));
  const reply = await session
    .withSession(async () => {
      const r = await session.ranges.get({ path: url.pathname + url.search, offset, target, headers: sessionHeaders(session), signal });
      if (r.status === 401) throw notAuthenticated(file, 'GET');
      return r;
    }, signal)
    .catch((err: unknown) => {
      throw wrapNetworkError(session, err, signal);
    });
  if (reply.status !== 206) {
    throw new DatastoreHttpError(reply.status, 'GET', file.datastorePath, reply.status === 200 ? 'the server ignored the Range header' : reply.body);
  }
  if (reply.rangeStart !== offset) {
    throw new DatastoreHttpError(reply.status, 'GET', file.datastorePath, `the server sent a range starting at ${reply.rangeStart ?? '(unknown)'}, not ${offset}`);
  }
  return reply.bytes;
}

/** Reads a byte range of a datastore file (shorter only at the end of the file). */
export async function readDatastoreRange(session: VimSession, file: DatastoreFile, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
  const target = Buffer.allocUnsafe(length);
  const n = await readDatastoreRangeInto(session, file, offset, target, signal);
  return n === length ? target : target.subarray(0, n);
}

/** How long to wait for `100 Continue` before sending an upload's body anyway. */
const CONTINUE_WAIT_MS = 1000;

/**
 * An upload body that can write itself into the request: a Readable that also has
 * `writeInto(body)` is not read; once the server has said `100 Continue` it is handed the
 * request's body and writes every byte into it, resolving when all are written (the request is
 * then ended) or rejecting to abort the upload. Each of its writes can wait for its callback (the
 * connection took the bytes), so a producer that reuses its buffers needs no copies and no stream
 * buffer in between — the path of every byte a restore writes. Anything else still reads it as
 * a Readable.
 */
export interface SelfWritingBody {
  writeInto(body: Writable): Promise<void>;
}

function isSelfWriting(source: Readable): source is Readable & SelfWritingBody {
  return typeof (source as Partial<SelfWritingBody>).writeInto === 'function';
}

/**
 * Uploads (creates or replaces) a datastore file. The body is held back until the server says
 * `100 Continue`, so a refused session is noticed before any byte is consumed from a stream, and
 * the upload is made again after a new login. A stream body is piped into the request, unless it
 * writes itself (SelfWritingBody).
 */
export async function uploadDatastoreFile(
  session: VimSession,
  file: DatastoreFile,
  source: Buffer | Readable,
  size: number,
  signal?: AbortSignal,
): Promise<void> {
  if (Buffer.isBuffer(source) && source.length !== size) throw new ValidationError(`upload size ${size} differs from the buffer's ${source.length} bytes`);
  const url = datastoreFileUrl(session.origin, file);
  await session
    .withSession(
      () =>
        new Promise<void>((resolve, reject) => {
          const headers = { ...sessionHeaders(session), 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), Expect: '100-continue' };
          const req = https.request(url, { method: 'PUT', agent: session.agent, headers, ...(signal ? { signal } : {}) });
          let bodyStarted = false;
          let settled = false;
          const settle = (err?: unknown): void => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (err === undefined) resolve();
            else reject(err);
          };
          // A body that gives more or fewer bytes than its Content-Length would leave vCenter
          // waiting for the rest, or take the excess as another request: the upload fails instead.
          let sent = 0;
          const count = (bytes: number): void => {
            sent += bytes;
            if (sent > size) throw new ValidationError(`upload of ${file.datastorePath}: the source gave more than the ${size} bytes declared`);
          };
          const checkComplete = (): void => {
            if (sent !== size) throw new ValidationError(`upload of ${file.datastorePath}: the source ended after ${sent} of the ${size} bytes declared`);
          };
          const abort = (err: unknown): void => {
            settle(err);
            req.destroy(err instanceof Error ? err : undefined);
          };
          const sendBody = (): void => {
            if (bodyStarted || settled) return;
            bodyStarted = true;
            if (Buffer.isBuffer(source)) {
              req.end(source);
            } else if (isSelfWriting(source)) {
              const write = req.write.bind(req) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;
              (req as { write: typeof write }).write = (chunk, cb) => {
                try {
                  count(chunk.byteLength);
                } catch (err) {
                  abort(err);
                  throw err;
                }
                return write(chunk, cb);
              };
              source.writeInto(req).then(() => {
                try {
                  checkComplete();
                  req.end();
                } catch (err) {
                  abort(err);
                }
              }, abort);
            } else {
              pipeline(
                source,
                async function* (chunks: AsyncIterable<Buffer | string>) {
                  for await (const chunk of chunks) {
                    count(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
                    yield chunk;
                  }
                  checkComplete();
                },
                req,
              ).catch(abort);
            }
          };
          const timer = setTimeout(sendBody, CONTINUE_WAIT_MS);
          req.on('continue', sendBody);
          req.on('error', (err) => settle(err));
          req.on('response', (res) => {
            const status = res.statusCode ?? 0;
            void readBody(res).then((body) => {
              if (status === 401 && !bodyStarted) settle(notAuthenticated(file, 'PUT'));
              else if (status >= 200 && status < 300) settle();
              else settle(new DatastoreHttpError(status, 'PUT', file.datastorePath, body));
              // A refused upload leaves the request open (its body never sent, or still being
              // written): end it, so that the body's writer stops.
              if (!bodyStarted || status < 200 || status >= 300) req.destroy();
            });
          });
          req.flushHeaders();
        }),
      signal,
    )
    .catch((err: unknown) => {
      throw wrapNetworkError(session, err, signal);
    });
}

/** FileManager.DeleteDatastoreFile_Task: deletes a file or a folder with its contents. */
export async function deleteDatastoreFile(session: VimSession, datacenter: MoRef, datastorePath: string, task: TaskOptions = {}): Promise<void> {
  parseDatastorePath(datastorePath);
  await runTask(
    session,
    'DeleteDatastoreFile_Task',
    { _this: encodeMoRef(session.manager('fileManager')), name: datastorePath, datacenter: encodeMoRef(datacenter) },
    `deletion of ${datastorePath}`,
    task,
  );
}

/** FileManager.MakeDirectory. */
export async function makeDatastoreDirectory(
  session: VimSession,
  datacenter: MoRef,
  datastorePath: string,
  opts: { createParents?: boolean } = {},
  signal?: AbortSignal,
): Promise<void> {
  parseDatastorePath(datastorePath);
  await session.call(
    'MakeDirectory',
    { _this: encodeMoRef(session.manager('fileManager')), name: datastorePath, datacenter: encodeMoRef(datacenter), createParentDirectories: opts.createParents ?? false },
    signal,
  );
}

