/**
 * XDR (RFC 4506) as ONC RPC and NFS use it: big-endian 32-bit units, 64-bit hypers, opaque data
 * padded to four bytes. The reader throws XdrError on any read past the end or any length above
 * its bound, so a malformed request becomes GARBAGE_ARGS rather than a crash.
 */

export class XdrError extends Error {}

export class XdrReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new XdrError(`XDR: ${n} bytes wanted, ${this.remaining} left`);
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bool(): boolean {
    return this.u32() !== 0;
  }

  /** An unsigned hyper; NFS offsets and sizes fit a double up to 2^53, larger ones are refused. */
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new XdrError('XDR: 64-bit value too large');
    return Number(v);
  }

  /** The 8 raw bytes of a hyper (cookies, verifiers). */
  fixed(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n + ((4 - (n % 4)) % 4);
    return v;
  }

  opaque(max: number): Buffer {
    const n = this.u32();
    if (n > max) throw new XdrError(`XDR: opaque of ${n} bytes above ${max}`);
    this.need(n + ((4 - (n % 4)) % 4));
    return this.fixed(n);
  }

  string(max: number): string {
    return this.opaque(max).toString('utf8');
  }
}

/** Builds a reply in a list of buffers; `data` appends a large payload without copying it. */
export class XdrWriter {
  private readonly parts: Buffer[] = [];
  private cur = Buffer.allocUnsafe(512);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flushCur();
    this.cur = Buffer.allocUnsafe(Math.max(512, n));
  }

  private flushCur(): void {
    if (this.pos > 0) this.parts.push(this.cur.subarray(0, this.pos));
    this.cur = Buffer.allocUnsafe(512);
    this.pos = 0;
  }

  u32(v: number): this {
    this.room(4);
    this.cur.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  bool(v: boolean): this {
    return this.u32(v ? 1 : 0);
  }

  u64(v: number): this {
    this.room(8);
    this.cur.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), this.pos);
    this.pos += 8;
    return this;
  }

  fixed(b: Uint8Array): this {
    const pad = (4 - (b.length % 4)) % 4;
    if (b.length > 4096) {
      this.flushCur();
      this.parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      if (pad) this.parts.push(Buffer.alloc(pad));
      return this;
    }
    this.room(b.length + pad);
    this.cur.set(b, this.pos);
    this.pos += b.length;
    this.cur.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
    return this;
  }

  opaque(b: Uint8Array): this {
    return this.u32(b.length).fixed(b);
  }

  string(s: string): this {
    return this.opaque(Buffer.from(s, 'utf8'));
  }

  buffers(): Buffer[] {
    this.flushCur();
    return this.parts;
  }
}
