/**
 * The fast path for reading disks: HTTP/1.1 ranged GETs on a small pool of kept-alive TLS
 * connections, pinned like every other connection to the vCenter, that copy the body of each
 * `206 Partial Content` reply straight into the caller's buffer.
 *
 * Why not node's http client: it turns every 16 KiB TLS record into a fresh Buffer, a stream chunk
 * and a parser callback, which costs more CPU than the decryption itself; a backup reading whole
 * disks spends most of its time there. Here the TLS socket's `onread` option hands the decrypted
 * bytes to a buffer the connection chooses for each read: a reused one for the reply head, and,
 * once the head is read, the caller's target itself, from where the body has reached so far — so
 * the body lands in place without being copied in JavaScript at all. Only the narrow case of a
 * ranged GET is handled: a reply that is not a plain `206` with a Content-Length is answered with
 * its status and a bounded part of its body, for the caller to report or retry.
 */
import tls, { type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { whenPinned } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';
import { ThumbprintMismatchError, VimConnectionError } from './vim-errors.js';

export interface RangeReply {
  /** HTTP status. For 206 the body is in the target buffer, else in `body` (at most 4 KiB). */
  readonly status: number;
  /** Bytes of the body copied into the target (206 only). */
  readonly bytes: number;
  /** Start of the range the server sent (206 only), from Content-Range. */
  readonly rangeStart: number | undefined;
  readonly body: string;
}

export interface RangeRequest {
  /** Path and query, e.g. `/folder/x-flat.vmdk?dcPath=DC0&dsName=ds1`. */
  readonly path: string;
  readonly offset: number;
  readonly target: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

const READ_BUFFER = 256 * 1024;
const MAX_HEAD = 16 * 1024;
const MAX_ERROR_BODY = 4096;
const IDLE_MS = 30_000;
const READ_TIMEOUT_MS = 120_000;
const CRLFCRLF = Buffer.from('\r\n\r\n');

interface Exchange {
  readonly req: RangeRequest;
  readonly resolve: (r: RangeReply) => void;
  readonly reject: (e: unknown) => void;
  head: Buffer;
  status: number;
  inBody: boolean;
  contentLength: number;
  received: number;
  rangeStart: number | undefined;
  keepAlive: boolean;
  errorBody: Buffer[];
  errorBodySize: number;
  /** Whether any byte of the reply arrived; a kept-alive connection that dies before that is retried. */
  answered: boolean;
}

/** A kept-alive connection died before any reply: the request never reached the server's handler. */
class StaleConnectionError extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
}

class RangeConnection {
  exchange: Exchange | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  usable = true;
  /** Whether it has served a request before, so an early close is likely a stale keep-alive. */
  reused = false;

  constructor(
    readonly socket: TLSSocket,
    /** Where the socket decrypts what is not a 206 body: reply heads, error pages. */
    private readonly scratch: Buffer,
    /** Called when the connection becomes free again or dies. */
    private readonly onFreeOrDead: (c: RangeConnection) => void,
  ) {
    socket.setTimeout(READ_TIMEOUT_MS, () => {
      if (this.exchange) this.fail(new Error(`no data from the server for ${READ_TIMEOUT_MS / 1000} s`));
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the connection closed')));
    socket.on('end', () => this.fail(new Error('the server closed the connection')));
  }

  /**
   * The buffer the socket decrypts its next bytes into: the rest of the target while a 206 body is
   * coming (a read then never goes past the body, as the buffer ends where it does), else scratch.
   */
  readBuffer(): Buffer {
    const ex = this.exchange;
    if (ex && ex.inBody && ex.status === 206 && ex.received < ex.contentLength) return ex.req.target.subarray(ex.received, ex.contentLength);
    return this.scratch;
  }

  /** Called by the socket's onread with bytes decrypted into the buffer readBuffer() chose. */
  onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (!ex) {
      // Bytes nobody asked for: the connection is out of step with the protocol.
      this.fail(new Error('unexpected data from the server'));
      return;
    }
    ex.answered = true;
    let data = chunk;
    if (!ex.inBody) {
      // `chunk` lives in the socket's reused read buffer: whatever must outlive this call is copied.
      const head = ex.head.length === 0 ? data : Buffer.concat([ex.head, data]);
      const end = head.indexOf(CRLFCRLF);
      if (end < 0) {
        if (head.length > MAX_HEAD) this.fail(new Error('the reply head is too large'));
        else ex.head = Buffer.from(head);
        return;
      }
      if (!this.parseHead(ex, head.subarray(0, end).toString('latin1'))) return;
      ex.inBody = true;
      data = head.subarray(end + 4);
    }
    if (ex.received + data.length > ex.contentLength) {
      this.fail(new Error('the server sent more bytes than its Content-Length'));
      return;
    }
    if (ex.status === 206) {
      const target = ex.req.target;
      // Bytes decrypted straight into place need no copy; those read along with the head do.
      if (data.buffer !== target.buffer || data.byteOffset !== target.byteOffset + ex.received) data.copy(target, ex.received);
    } else if (ex.errorBodySize < MAX_ERROR_BODY) {
      ex.errorBody.push(Buffer.from(data.subarray(0, MAX_ERROR_BODY - ex.errorBodySize)));
      ex.errorBodySize += Math.min(data.length, MAX_ERROR_BODY - ex.errorBodySize);
    }
    ex.received += data.length;
    if (ex.received === ex.contentLength) this.finish(ex);
  }

  /** Reads the status line and headers; false when the reply cannot be read this way. */
  private parseHead(ex: Exchange, head: string): boolean {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) {
      this.fail(new Error(`not an HTTP reply: ${(lines[0] ?? '').slice(0, 80)}`));
      return false;
    }
    ex.status = Number(m[2]);
    ex.keepAlive = m[1] === '1';
    let length: number | undefined;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = !/^identity$/i.test(value);
      else if (name === 'connection') ex.keepAlive = ex.keepAlive ? !/close/i.test(value) : /keep-alive/i.test(value);
      else if (name === 'content-range') {
        const r = /^bytes (\d+)-(\d+)\//.exec(value);
        if (r) ex.rangeStart = Number(r[1]);
      }
    }
    if (ex.status === 206 && (length === undefined || chunked)) {
      this.fail(new Error('a 206 reply without a Content-Length'));
      return false;
    }
    if (length === undefined || !Number.isSafeInteger(length) || chunked || (ex.status !== 206 && length > 64 * 1024)) {
      // An error page of unknown or large length (or a whole file, from a server that ignored the
      // Range header): answer with the status, and drop the connection rather than read it all.
      ex.contentLength = Number.MAX_SAFE_INTEGER;
      ex.keepAlive = false;
      this.finish(ex);
      return false;
    }
    if (ex.status === 206 && length > ex.req.target.length) {
      this.fail(new Error(`the server sent a ${length}-byte range for a ${ex.req.target.length}-byte request`));
      return false;
    }
    ex.contentLength = length;
    if (length === 0) {
      this.finish(ex);
      return false;
    }
    return true;
  }

  private finish(ex: Exchange): void {
    this.exchange = undefined;
    this.reused = true;
    if (!ex.keepAlive) this.close();
    ex.resolve({
      status: ex.status,
      bytes: ex.status === 206 ? ex.received : 0,
      rangeStart: ex.rangeStart,
      body: Buffer.concat(ex.errorBody).toString('utf8').trim(),
    });
    if (this.usable) this.onFreeOrDead(this);
  }

  fail(err: Error): void {
    const ex = this.exchange;
    this.exchange = undefined;
    this.close();
    if (ex) ex.reject(this.reused && !ex.answered ? new StaleConnectionError(err) : err);
  }

  close(): void {
    if (!this.usable) return;
    this.usable = false;
    this.cancelIdle();
    this.socket.destroy();
    this.onFreeOrDead(this);
  }

  idle(): void {
    this.cancelIdle();
    this.idleTimer = setTimeout(() => this.close(), IDLE_MS);
    this.idleTimer.unref();
    this.socket.unref();
  }

  busy(): void {
    this.cancelIdle();
    this.socket.ref();
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

export interface RangeClientOptions {
  /** `https://host:port` */
  readonly origin: string;
  readonly thumbprint: string;
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
}

export class RangeClient {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly idle: RangeConnection[] = [];
  private readonly all = new Set<RangeConnection>();
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly opts: RangeClientOptions) {
    const u = new URL(opts.origin);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = u.port ? Number(u.port) : 443;
    this.hostHeader = u.host;
  }

  /** One ranged GET; retried once on a fresh connection when a kept-alive one turns out dead. */
  async get(req: RangeRequest): Promise<RangeReply> {
    try {
      return await this.once(req);
    } catch (err) {
      if (!(err instanceof StaleConnectionError)) throw err;
      if (req.signal?.aborted) throw req.signal.reason;
    }
    try {
      return await this.once(req);
    } catch (err) {
      throw err instanceof StaleConnectionError ? this.asConnectionError(err.original) : err;
    }
  }

  private asConnectionError(e: unknown): unknown {
    if (e instanceof StaleConnectionError || e instanceof LifelineError || !(e instanceof Error)) return e;
    return new VimConnectionError(this.opts.origin, e.message, { cause: e });
  }

  private async once(req: RangeRequest): Promise<RangeReply> {
    req.signal?.throwIfAborted();
    let head = `GET ${req.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nRange: bytes=${req.offset}-${req.offset + req.target.length - 1}\r\nAccept: */*\r\n`;
    for (const [k, v] of Object.entries(req.headers)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`header ${k} contains a line break`);
      head += `${k}: ${v}\r\n`;
    }
    head += '\r\n';
    const conn = await this.acquire(req.signal);
    return new Promise<RangeReply>((resolve, reject) => {
      const onAbort = (): void => conn.fail(req.signal?.reason instanceof Error ? req.signal.reason : new Error('aborted'));
      const cleanup = (): void => req.signal?.removeEventListener('abort', onAbort);
      conn.exchange = {
        req,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(req.signal?.aborted ? req.signal.reason : this.asConnectionError(e));
        },
        head: Buffer.alloc(0),
        status: 0,
        inBody: false,
        contentLength: 0,
        received: 0,
        rangeStart: undefined,
        keepAlive: true,
        errorBody: [],
        errorBodySize: 0,
        answered: false,
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      conn.socket.write(head);
    });
  }

  private async acquire(signal?: AbortSignal): Promise<RangeConnection> {
    for (;;) {
      if (this.closed) throw new VimConnectionError(this.opts.origin, 'the connection is closed');
      const c = this.idle.pop();
      if (c) {
        if (!c.usable) continue;
        c.busy();
        return c;
      }
      if (this.all.size < this.opts.maxConnections) return this.connect();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal?.reason);
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  private async connect(): Promise<RangeConnection> {
    const scratch = Buffer.allocUnsafe(READ_BUFFER);
    // The socket's callbacks reach the connection made just after it.
    const of: { conn?: RangeConnection } = {};
    const socket = tls.connect({
      host: this.host,
      port: this.port,
      ...(isIP(this.host) ? {} : { servername: this.host }),
      // The pin checked below replaces chain validation, as for every connection to the vCenter.
      rejectUnauthorized: false,
      onread: {
        // Asked before each read (the first time before `conn` exists).
        buffer: (): Buffer => of.conn?.readBuffer() ?? scratch,
        callback: (n: number, buf: Uint8Array): boolean => {
          // Data arrives only after the handshake, when `conn` exists.
          of.conn?.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    } as tls.ConnectionOptions);
    socket.setNoDelay(true);
    const conn = new RangeConnection(socket, scratch, (c) => this.release(c));
    of.conn = conn;
    this.all.add(conn);
    try {
      const host = `${this.host}:${this.port}`;
      const thumbprint = this.opts.thumbprint;
      await whenPinned(socket, host, { thumbprint, mismatch: (presented) => new ThumbprintMismatchError(host, presented, thumbprint), timeoutMs: this.opts.connectTimeoutMs });
    } catch (err) {
      conn.close();
      throw err instanceof LifelineError || !(err instanceof Error) ? err : new VimConnectionError(this.opts.origin, err.message, { cause: err });
    }
    return conn;
  }

  /** A connection finished a request (back to the pool) or died (forgotten); a waiter may go on. */
  private release(c: RangeConnection): void {
    if (c.usable && !this.closed) {
      if (c.exchange === undefined && !this.idle.includes(c)) {
        c.idle();
        this.idle.push(c);
      }
    } else {
      this.all.delete(c);
      const i = this.idle.indexOf(c);
      if (i >= 0) this.idle.splice(i, 1);
    }
    this.waiting.shift()?.();
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.all]) c.close();
    for (const w of this.waiting.splice(0)) w();
  }
}
