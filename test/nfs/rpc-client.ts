/**
 * A bare ONC RPC client over TCP for the NFS suites, written from RFC 5531 (call and reply
 * messages, section 9; record marking, section 11) and RFC 1813 (MOUNT and NFS v3 arguments):
 * it sends exactly the bytes a spec asks for, well formed or not, and decodes just enough of a
 * reply to judge it. Its encoding is its own, not the server's, so the two check each other.
 */
import { connect, type Socket } from 'node:net';

export const NFS = 100003;
export const MOUNT = 100005;
export const PMAP = 100000;

/** A call message: header with AUTH_SYS (uid 0) credentials, then `args`. */
export function callMessage(xid: number, prog: number, vers: number, proc: number, args: Buffer = Buffer.alloc(0), rpcvers = 2): Buffer {
  const machine = Buffer.from('spec');
  const cred = Buffer.concat([u32(0), u32(machine.length), machine, u32(0), u32(0), u32(0)]);
  return Buffer.concat([u32(xid), u32(0), u32(rpcvers), u32(prog), u32(vers), u32(proc), u32(1), u32(cred.length), cred, u32(0), u32(0), args]);
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}

export function opaque(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

export function str(s: string): Buffer {
  return opaque(Buffer.from(s));
}

/** One record, last fragment. */
export function record(message: Buffer): Buffer {
  return Buffer.concat([u32(0x80000000 | message.length), message]);
}

export interface Reply {
  readonly xid: number;
  /** 0 accepted, 1 denied. */
  readonly replyStat: number;
  /** accept_stat when accepted, reject_stat when denied. */
  readonly stat: number;
  /** What follows the accept_stat (results) or the reject_stat. */
  readonly body: Buffer;
}

export function parseReply(msg: Buffer): Reply {
  const xid = msg.readUInt32BE(0);
  if (msg.readUInt32BE(4) !== 1) throw new Error('not a reply');
  const replyStat = msg.readUInt32BE(8);
  if (replyStat === 1) return { xid, replyStat, stat: msg.readUInt32BE(12), body: msg.subarray(16) };
  const verfLen = msg.readUInt32BE(16);
  const at = 20 + verfLen + ((4 - (verfLen % 4)) % 4);
  return { xid, replyStat, stat: msg.readUInt32BE(at), body: msg.subarray(at + 4) };
}

/** A connection that reads whole records; `closed` resolves when the server closes it. */
export class RpcConnection {
  private buf = Buffer.alloc(0);
  private readonly waiters: Array<(r: Buffer) => void> = [];
  private readonly records: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const len = this.buf.readUInt32BE(0) & 0x7fffffff;
        if (this.buf.length < 4 + len) break;
        const rec = this.buf.subarray(4, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        const w = this.waiters.shift();
        if (w) w(rec);
        else this.records.push(rec);
      }
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new RpcConnection(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next reply, or null when the connection closes first. */
  next(): Promise<Reply | null> {
    const r = this.records.shift();
    if (r) return Promise.resolve(parseReply(r));
    return Promise.race([new Promise<Reply>((resolve) => this.waiters.push((rec) => resolve(parseReply(rec)))), this.closed.then(() => null)]);
  }

  async call(prog: number, vers: number, proc: number, args: Buffer = Buffer.alloc(0)): Promise<Reply> {
    const xid = Math.floor(Math.random() * 2 ** 31);
    this.send(record(callMessage(xid, prog, vers, proc, args)));
    const reply = await this.next();
    if (!reply) throw new Error('the server closed the connection');
    if (reply.xid !== xid) throw new Error(`reply to xid ${reply.xid}, not ${xid}`);
    return reply;
  }

  /** MNT: the mount status and, when 0, the root file handle. */
  async mount(path: string): Promise<{ status: number; handle: Buffer | null }> {
    const r = await this.call(MOUNT, 3, 1, str(path));
    const status = r.body.readUInt32BE(0);
    if (status !== 0) return { status, handle: null };
    const len = r.body.readUInt32BE(4);
    return { status, handle: r.body.subarray(8, 8 + len) };
  }

  /** LOOKUP: the status and, when 0, the object's handle. */
  async lookup(dir: Buffer, name: string): Promise<{ status: number; handle: Buffer | null }> {
    const r = await this.call(NFS, 3, 3, Buffer.concat([opaque(dir), str(name)]));
    const status = r.body.readUInt32BE(0);
    if (status !== 0) return { status, handle: null };
    const len = r.body.readUInt32BE(4);
    return { status, handle: r.body.subarray(8, 8 + len) };
  }

  /** GETATTR: the status and, when 0, the size. */
  async getattr(fh: Buffer): Promise<{ status: number; size: number | null; fileid: number | null }> {
    const r = await this.call(NFS, 3, 1, opaque(fh));
    const status = r.body.readUInt32BE(0);
    if (status !== 0) return { status, size: null, fileid: null };
    // fattr3: type, mode, nlink, uid, gid (5 words), size (hyper), used, rdev (2 words), fsid, fileid.
    return { status, size: Number(r.body.readBigUInt64BE(4 + 20)), fileid: Number(r.body.readBigUInt64BE(4 + 20 + 8 + 8 + 8 + 8)) };
  }

  /** READ: the status and, when 0, the bytes. */
  async read(fh: Buffer, offset: number, count: number): Promise<{ status: number; data: Buffer | null }> {
    const r = await this.call(NFS, 3, 6, Buffer.concat([opaque(fh), u64(offset), u32(count)]));
    const status = r.body.readUInt32BE(0);
    if (status !== 0) return { status, data: null };
    // post_op_attr: follows flag, then fattr3 (84 bytes) when set.
    let at = 4;
    at += r.body.readUInt32BE(at) ? 4 + 84 : 4;
    at += 8; // count, eof
    const len = r.body.readUInt32BE(at);
    return { status, data: r.body.subarray(at + 4, at + 4 + len) };
  }

  /** WRITE (FILE_SYNC): the status and, when 0, the count written. */
  async write(fh: Buffer, offset: number, data: Buffer): Promise<{ status: number; count: number | null }> {
    const r = await this.call(NFS, 3, 7, Buffer.concat([opaque(fh), u64(offset), u32(data.length), u32(2), opaque(data)]));
    const status = r.body.readUInt32BE(0);
    if (status !== 0) return { status, count: null };
    // wcc_data: pre_op_attr (flag, 24 bytes when set), post_op_attr (flag, 84 bytes when set).
    let at = 4;
    at += r.body.readUInt32BE(at) ? 4 + 24 : 4;
    at += r.body.readUInt32BE(at) ? 4 + 84 : 4;
    return { status, count: r.body.readUInt32BE(at) };
  }

  close(): void {
    this.socket.destroy();
  }
}
