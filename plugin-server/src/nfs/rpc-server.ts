/**
 * ONC RPC version 2 over TCP (RFC 5531): record marking (section 11), call headers, AUTH_NONE and
 * AUTH_SYS credentials, and every reply a malformed call deserves. A call is answered with
 * PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS (arguments that do not decode),
 * SYSTEM_ERR (a handler's unexpected failure), RPC_MISMATCH or AUTH_ERROR; a record that cannot
 * be a call (shorter than a call header's first words, or larger than the bound) closes the
 * connection. Nothing a client sends can stop the listener.
 *
 * Connections are accepted only from the configured client addresses; any other is closed at
 * once. Calls on one connection run concurrently (clients pipeline them) up to a bound, and
 * replies go back as they complete, each with its call's xid.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/index.js';
import { XdrError, XdrReader, XdrWriter } from './xdr.js';

export const RPC_VERSION = 2;
export const AUTH_NONE = 0;
export const AUTH_SYS = 1;

const CALL = 0;
const REPLY = 1;
const MSG_ACCEPTED = 0;
const MSG_DENIED = 1;
const enum Accept {
  SUCCESS = 0,
  PROG_UNAVAIL = 1,
  PROG_MISMATCH = 2,
  PROC_UNAVAIL = 3,
  GARBAGE_ARGS = 4,
  SYSTEM_ERR = 5,
}
const RPC_MISMATCH = 0;
const AUTH_ERROR = 1;
const AUTH_BADCRED = 1;

/** Largest record accepted: a 1 MiB WRITE with its headers. */
export const MAX_RECORD = 1024 * 1024 + 64 * 1024;
/** Calls of one connection being served at once; the socket pauses above it. */
const MAX_IN_FLIGHT = 32;

export interface CallContext {
  /** The client's address (IPv4 as dotted quad). */
  readonly address: string;
  readonly auth: { flavor: number; uid: number; gid: number };
}

/** Decodes the arguments from `args` and writes the results to `out`; XdrError from it means GARBAGE_ARGS. */
export type Procedure = (args: XdrReader, out: XdrWriter, ctx: CallContext) => void | Promise<void>;

export interface RpcProgram {
  readonly program: number;
  readonly version: number;
  readonly procedures: ReadonlyMap<number, Procedure>;
}

export interface RpcListenOptions {
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
}

/** An IPv4-mapped IPv6 address as its IPv4 form; others unchanged. */
export function clientAddress(raw: string | undefined): string {
  if (!raw) return '';
  return raw.startsWith('::ffff:') ? raw.slice(7) : raw;
}

export class RpcServer {
  private readonly programs = new Map<number, Map<number, RpcProgram>>();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly calls = new Map<number, number>();

  constructor(
    private readonly allowed: (address: string) => boolean,
    private readonly log: Logger,
  ) {}

  register(p: RpcProgram): void {
    const versions = this.programs.get(p.program) ?? new Map<number, RpcProgram>();
    versions.set(p.version, p);
    this.programs.set(p.program, versions);
  }

  /** Calls received for a program since the start (whatever their outcome). */
  callCount(program: number): number {
    return this.calls.get(program) ?? 0;
  }

  /** Listens on one more address; returns the port bound. */
  async listen(opts: RpcListenOptions): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: opts.host, port: opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.warn('nfs: listener error', { err: String(err) }));
    this.servers.push(server);
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : opts.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private accept(socket: Socket): void {
    const address = clientAddress(socket.remoteAddress);
    if (!this.allowed(address)) {
      this.log.warn('nfs: connection refused, client address not allowed', { client: address });
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let fragments: Buffer[] = [];
    let recordBytes = 0;
    let inFlight = 0;

    const drop = (why: string): void => {
      this.log.warn('nfs: connection closed', { client: address, reason: why });
      socket.destroy();
    };

    socket.on('data', (data: Buffer) => {
      pending.push(data);
      pendingBytes += data.length;
      for (;;) {
        if (pendingBytes < 4) return;
        // The marker may be split over buffers; the fragment is joined only once it is all here.
        if (pending[0]!.length < 4) pending = [Buffer.concat(pending)];
        const marker = pending[0]!.readUInt32BE(0);
        const last = (marker & 0x80000000) !== 0;
        const length = marker & 0x7fffffff;
        if (recordBytes + length > MAX_RECORD) return drop(`record above ${MAX_RECORD} bytes`);
        if (pendingBytes < 4 + length) return;
        const head = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        fragments.push(head.subarray(4, 4 + length));
        recordBytes += length;
        const rest = head.subarray(4 + length);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        if (!last) continue;
        const record = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
        fragments = [];
        recordBytes = 0;
        if (record.length < 8) return drop('record shorter than a call header');
        inFlight++;
        if (inFlight >= MAX_IN_FLIGHT) socket.pause();
        void this.call(record, address)
          .then((reply) => {
            if (reply && !socket.destroyed) send(socket, reply);
            else if (!reply) drop('not a call');
          })
          .catch((err: unknown) => {
            this.log.error('nfs: call failed', { client: address, err: String(err) });
            drop('internal error');
          })
          .finally(() => {
            inFlight--;
            if (inFlight < MAX_IN_FLIGHT && socket.isPaused()) socket.resume();
          });
      }
    });
  }

  /** The reply to one record, or null when the record is no call (the connection is then closed). */
  private async call(record: Buffer, address: string): Promise<Buffer[] | null> {
    const r = new XdrReader(record);
    const xid = r.u32();
    if (r.u32() !== CALL) return null;
    const head = (): XdrWriter => new XdrWriter().u32(xid).u32(REPLY);
    const accepted = (stat: Accept): XdrWriter => head().u32(MSG_ACCEPTED).u32(AUTH_NONE).u32(0).u32(stat);
    let prog: number, vers: number, proc: number;
    let auth: CallContext['auth'];
    try {
      const rpcvers = r.u32();
      if (rpcvers !== RPC_VERSION) return head().u32(MSG_DENIED).u32(RPC_MISMATCH).u32(RPC_VERSION).u32(RPC_VERSION).buffers();
      prog = r.u32();
      vers = r.u32();
      proc = r.u32();
      this.calls.set(prog, (this.calls.get(prog) ?? 0) + 1);
      const flavor = r.u32();
      const body = r.opaque(400);
      r.u32();
      r.opaque(400);
      const parsed = credentials(flavor, body);
      if (!parsed) return head().u32(MSG_DENIED).u32(AUTH_ERROR).u32(AUTH_BADCRED).buffers();
      auth = parsed;
    } catch (err) {
      if (err instanceof XdrError) return accepted(Accept.GARBAGE_ARGS).buffers();
      throw err;
    }
    const versions = this.programs.get(prog);
    if (!versions) return accepted(Accept.PROG_UNAVAIL).buffers();
    const program = versions.get(vers);
    if (!program) {
      const vs = [...versions.keys()];
      return accepted(Accept.PROG_MISMATCH).u32(Math.min(...vs)).u32(Math.max(...vs)).buffers();
    }
    const procedure = program.procedures.get(proc);
    if (!procedure) return accepted(Accept.PROC_UNAVAIL).buffers();
    const out = accepted(Accept.SUCCESS);
    try {
      await procedure(r, out, { address, auth });
      return out.buffers();
    } catch (err) {
      if (err instanceof XdrError) return accepted(Accept.GARBAGE_ARGS).buffers();
      this.log.error('nfs: procedure failed', { program: prog, version: vers, procedure: proc, err: String(err) });
      return accepted(Accept.SYSTEM_ERR).buffers();
    }
  }
}

function credentials(flavor: number, body: Buffer): CallContext['auth'] | null {
  if (flavor === AUTH_NONE) return { flavor, uid: 65534, gid: 65534 };
  if (flavor !== AUTH_SYS) return null;
  try {
    const r = new XdrReader(body);
    r.u32();
    r.string(255);
    const uid = r.u32();
    const gid = r.u32();
    const n = r.u32();
    if (n > 16) return null;
    for (let i = 0; i < n; i++) r.u32();
    return { flavor, uid, gid };
  } catch {
    return null;
  }
}

function send(socket: Socket, parts: Buffer[]): void {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const marker = Buffer.allocUnsafe(4);
  marker.writeUInt32BE((0x80000000 | length) >>> 0, 0);
  socket.cork();
  socket.write(marker);
  for (const p of parts) socket.write(p);
  socket.uncork();
}
