/**
 * Lifeline's NFS server: the MOUNT v3 and NFS v3 programs (RFC 1813) and a portmapper (PMAP v2
 * GETPORT, RFC 1833) over ONC RPC on TCP, serving published restore points from one export.
 *
 * The export (`/lifeline` unless configured) holds one folder per publication; a folder holds,
 * for each disk n of the point, `disk<n>.vmdk` (a VMDK descriptor, createType "vmfs") and
 * `disk<n>-flat.vmdk` (the flat extent: the disk's bytes), and any file clients created there
 * (lock and swap files). The export and any folder in it can be mounted. Directories cannot be
 * made, nor links; the disks cannot be removed, renamed or resized.
 *
 * File handles are 37 bytes: a version, the publication's random id, the file's number and an
 * HMAC-SHA256 (truncated to 16 bytes) of those under the server's handle key, so a client can
 * neither make up a handle nor turn one of a publication into one of another (NFS3ERR_BADHANDLE);
 * a handle of a publication since unpublished is NFS3ERR_STALE. The key is kept in the data
 * directory, so handles stay valid across a restart.
 *
 * Ports: MOUNT, NFS and the portmapper answer on the main port (2049 unless configured); the
 * portmapper can also listen on a port of its own (111 for clients that ask there, as ESXi and
 * libnfs without `mountport` do) and tells every client the main port for MOUNT v3 and NFS v3
 * over TCP. UDP is not served.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, rm, stat, truncate } from 'node:fs/promises';
import type { Logger } from '../log/index.js';
import { FIRST_CREATED_FILE, Publications, type Publication, type PublishedFile } from './publications.js';
import { RpcServer, AUTH_NONE, AUTH_SYS, type CallContext, type Procedure } from './rpc-server.js';
import { XdrReader, XdrWriter } from './xdr.js';

export const PMAP_PROGRAM = 100000;
export const NFS_PROGRAM = 100003;
export const MOUNT_PROGRAM = 100005;
const IPPROTO_TCP = 6;

export const enum NfsStat {
  OK = 0,
  PERM = 1,
  NOENT = 2,
  IO = 5,
  ACCES = 13,
  EXIST = 17,
  NOTDIR = 20,
  ISDIR = 21,
  INVAL = 22,
  FBIG = 27,
  ROFS = 30,
  NAMETOOLONG = 63,
  NOTEMPTY = 66,
  STALE = 70,
  BADHANDLE = 10001,
  BAD_COOKIE = 10003,
  NOTSUPP = 10004,
  TOOSMALL = 10005,
  SERVERFAULT = 10006,
}

const enum MountStat {
  OK = 0,
  NOENT = 2,
  ACCES = 13,
  NOTDIR = 20,
  INVAL = 22,
  NAMETOOLONG = 63,
}

const HANDLE_BYTES = 37;
const MAC_BYTES = 16;
const NO_PUB = '0'.repeat(32);
const MAX_IO = 1024 * 1024;
const PREF_IO = 1024 * 1024;
const NAME_MAX = 255;

export interface NfsServerOptions {
  readonly publications: Publications;
  /** Address the server listens on (one address; loopback in tests). */
  readonly host: string;
  /** NFS, MOUNT and portmapper port; 2049 by default, 0 for any free port. */
  readonly port?: number;
  /** A port of its own for the portmapper (e.g. 111), or none. */
  readonly portmapperPort?: number | null;
  /** Client addresses allowed to connect (exact IPv4 or IPv6 addresses). */
  readonly clients: readonly string[];
  /** The export's path (default `/lifeline`). */
  readonly exportPath?: string;
  readonly log: Logger;
}

type Node =
  | { readonly kind: 'root' }
  | { readonly kind: 'folder'; readonly pub: Publication }
  | { readonly kind: 'descriptor'; readonly pub: Publication; readonly disk: number }
  | { readonly kind: 'flat'; readonly pub: Publication; readonly disk: number }
  | { readonly kind: 'file'; readonly pub: Publication; readonly file: PublishedFile };

class NfsError extends Error {
  constructor(readonly stat: NfsStat, message = `NFS error ${stat}`) {
    super(message);
  }
}

interface Attr {
  readonly type: 1 | 2;
  readonly mode: number;
  readonly size: number;
  readonly used: number;
  readonly fileid: number;
  readonly mtimeMs: number;
}

export class NfsServer {
  private readonly rpc: RpcServer;
  private readonly pubs: Publications;
  private readonly exportPath: string;
  /** Changes at every start: clients resend unstable writes made before a restart. */
  private readonly writeVerf = randomBytes(8);
  private readonly startedMs = Date.now();
  private mainPort = 0;
  private portmapperPort: number | null = null;
  private readonly fsid: number;

  private constructor(private readonly opts: NfsServerOptions) {
    this.pubs = opts.publications;
    this.exportPath = normalizeExport(opts.exportPath ?? '/lifeline');
    const clients = new Set(opts.clients);
    this.rpc = new RpcServer((address) => clients.has(address), opts.log);
    this.fsid = createHmac('sha256', this.pubs.handleKey).update('fsid').digest().readUInt32BE(0);
    this.rpc.register({ program: PMAP_PROGRAM, version: 2, procedures: this.portmapper() });
    this.rpc.register({ program: MOUNT_PROGRAM, version: 3, procedures: this.mountProgram() });
    this.rpc.register({ program: NFS_PROGRAM, version: 3, procedures: this.nfsProgram() });
  }

  static async start(opts: NfsServerOptions): Promise<NfsServer> {
    const server = new NfsServer(opts);
    try {
      server.mainPort = await server.rpc.listen({ host: opts.host, port: opts.port ?? 2049 });
      if (opts.portmapperPort !== undefined && opts.portmapperPort !== null) {
        server.portmapperPort = await server.rpc.listen({ host: opts.host, port: opts.portmapperPort });
      }
    } catch (err) {
      await server.rpc.close();
      throw err;
    }
    opts.log.info('nfs: serving', { host: opts.host, port: server.mainPort, portmapperPort: server.portmapperPort, export: server.exportPath });
    return server;
  }

  get port(): number {
    return this.mainPort;
  }

  get portmapper_port(): number | null {
    return this.portmapperPort;
  }

  /** NFS calls received since the start: how a test sees that a client's I/O came this way. */
  get nfsCalls(): number {
    return this.rpc.callCount(NFS_PROGRAM);
  }

  get export(): string {
    return this.exportPath;
  }

  async close(): Promise<void> {
    await this.rpc.close();
  }

  /** The file handle of a path inside the export ('' or '/' for the export itself), for tests and tools. */
  handleOf(path: string): Buffer | null {
    const node = this.resolvePath(path);
    return node ? this.handle(node) : null;
  }

  // ---- handles and the tree ----

  private handle(node: Node): Buffer {
    const h = Buffer.alloc(HANDLE_BYTES);
    h[0] = 1;
    const pubId = node.kind === 'root' ? NO_PUB : node.pub.id;
    Buffer.from(pubId, 'hex').copy(h, 1);
    h.writeUInt32BE(fileNo(node), 17);
    createHmac('sha256', this.pubs.handleKey).update(h.subarray(0, 21)).digest().copy(h, 21, 0, MAC_BYTES);
    return h;
  }

  private node(fh: Buffer): Node {
    if (fh.length !== HANDLE_BYTES || fh[0] !== 1) throw new NfsError(NfsStat.BADHANDLE);
    const mac = createHmac('sha256', this.pubs.handleKey).update(fh.subarray(0, 21)).digest().subarray(0, MAC_BYTES);
    if (!timingSafeEqual(mac, fh.subarray(21))) throw new NfsError(NfsStat.BADHANDLE);
    const pubId = fh.subarray(1, 17).toString('hex');
    const no = fh.readUInt32BE(17);
    if (pubId === NO_PUB) {
      if (no !== 0) throw new NfsError(NfsStat.BADHANDLE);
      return { kind: 'root' };
    }
    const pub = this.pubs.byId(pubId);
    if (!pub) throw new NfsError(NfsStat.STALE);
    if (no === 1) return { kind: 'folder', pub };
    if (no >= FIRST_CREATED_FILE) {
      const file = pub.files.find((f) => f.fileNo === no);
      if (!file) throw new NfsError(NfsStat.STALE);
      return { kind: 'file', pub, file };
    }
    const disk = Math.floor((no - 2) / 2);
    if (no < 2 || !pub.disks.some((d) => d.disk === disk)) throw new NfsError(NfsStat.STALE);
    if (no % 2 === 1) return { kind: 'flat', pub, disk };
    // A descriptor a client rewrote is its copy from then on, through the old handle too.
    const copy = pub.files.find((f) => f.name === descriptorName(disk));
    return copy ? { kind: 'file', pub, file: copy } : { kind: 'descriptor', pub, disk };
  }

  private children(dir: Node): Array<{ name: string; node: Node }> {
    if (dir.kind === 'root') return this.pubs.list().map((pub) => ({ name: pub.folder, node: { kind: 'folder', pub } as Node }));
    if (dir.kind !== 'folder') throw new NfsError(NfsStat.NOTDIR);
    const { pub } = dir;
    const out: Array<{ name: string; node: Node }> = [];
    for (const d of pub.disks) {
      if (!pub.files.some((f) => f.name === descriptorName(d.disk))) out.push({ name: descriptorName(d.disk), node: { kind: 'descriptor', pub, disk: d.disk } });
      out.push({ name: flatName(d.disk), node: { kind: 'flat', pub, disk: d.disk } });
    }
    for (const file of pub.files) out.push({ name: file.name, node: { kind: 'file', pub, file } });
    return out;
  }

  private lookup(dir: Node, name: string): Node {
    if (name.length > NAME_MAX) throw new NfsError(NfsStat.NAMETOOLONG);
    if (name === '.') return dir;
    if (name === '..') return dir.kind === 'folder' ? { kind: 'root' } : dir.kind === 'root' ? dir : (() => { throw new NfsError(NfsStat.NOTDIR); })();
    const hit = this.children(dir).find((c) => c.name === name);
    if (!hit) throw new NfsError(NfsStat.NOENT);
    return hit.node;
  }

  /** A path inside the export, or null when it does not exist or leads out of it. */
  private resolvePath(path: string): Node | null {
    let node: Node = { kind: 'root' };
    for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) {
      if (part === '..') return null;
      try {
        node = this.lookup(node, part);
      } catch {
        return null;
      }
    }
    return node;
  }

  private async attr(node: Node): Promise<Attr> {
    const base = (node.kind === 'root' ? 0 : node.pub.seq) * 2 ** 32;
    const id = base + fileNo(node) + 1;
    switch (node.kind) {
      case 'root':
        return { type: 2, mode: 0o755, size: 4096, used: 4096, fileid: id, mtimeMs: this.startedMs };
      case 'folder':
        return { type: 2, mode: 0o755, size: 4096, used: 4096, fileid: id, mtimeMs: Date.parse(node.pub.createdAt) };
      case 'descriptor': {
        const size = Buffer.byteLength(this.descriptorText(node.pub, node.disk));
        return { type: 1, mode: 0o644, size, used: size, fileid: id, mtimeMs: Date.parse(node.pub.createdAt) };
      }
      case 'flat': {
        const d = await this.pubs.disk(node.pub, node.disk);
        return { type: 1, mode: 0o644, size: d.capacity, used: d.overlayBytes, fileid: id, mtimeMs: d.mtimeMs };
      }
      case 'file': {
        const st = await stat(this.pubs.filePath(node.pub, node.file.fileNo));
        return { type: 1, mode: 0o644, size: st.size, used: st.blocks * 512, fileid: id, mtimeMs: st.mtimeMs };
      }
    }
  }

  private descriptorText(pub: Publication, disk: number): string {
    const capacity = pub.disks.find((d) => d.disk === disk)?.capacity ?? 0;
    const sectors = Math.floor(capacity / 512);
    const cid = createHmac('sha256', this.pubs.handleKey).update(`${pub.id}/${disk}`).digest().readUInt32BE(0).toString(16).padStart(8, '0');
    const cylinders = Math.max(1, Math.min(65535, Math.ceil(sectors / (255 * 63))));
    return [
      '# Disk DescriptorFile',
      'version=1',
      'encoding="UTF-8"',
      `CID=${cid}`,
      'parentCID=ffffffff',
      'createType="vmfs"',
      '',
      '# Extent description',
      `RW ${sectors} VMFS "${flatName(disk)}"`,
      '',
      '# The Disk Data Base',
      '#DDB',
      '',
      'ddb.adapterType = "lsilogic"',
      `ddb.geometry.cylinders = "${cylinders}"`,
      'ddb.geometry.heads = "255"',
      'ddb.geometry.sectors = "63"',
      'ddb.virtualHWVersion = "14"',
      '',
    ].join('\n');
  }

  // ---- XDR of NFS structures ----

  private writeAttr(out: XdrWriter, a: Attr): void {
    const sec = Math.floor(a.mtimeMs / 1000);
    const nsec = Math.floor((a.mtimeMs % 1000) * 1e6);
    out.u32(a.type).u32(a.mode).u32(a.type === 2 ? 2 : 1).u32(0).u32(0).u64(a.size).u64(a.used).u32(0).u32(0).u64(this.fsid).u64(a.fileid);
    for (let i = 0; i < 3; i++) out.u32(sec).u32(nsec);
  }

  private async postOp(out: XdrWriter, node: Node | null): Promise<void> {
    if (!node) {
      out.bool(false);
      return;
    }
    let a: Attr;
    try {
      a = await this.attr(node);
    } catch {
      out.bool(false);
      return;
    }
    out.bool(true);
    this.writeAttr(out, a);
  }

  /** wcc_data with no pre-operation attributes. */
  private async wcc(out: XdrWriter, node: Node | null): Promise<void> {
    out.bool(false);
    await this.postOp(out, node);
  }

  // ---- programs ----

  private portmapper(): Map<number, Procedure> {
    return new Map<number, Procedure>([
      [0, () => undefined],
      // SET and UNSET: registrations are not taken.
      [1, (args, out) => void (args.u32(), args.u32(), args.u32(), args.u32(), out.bool(false))],
      [2, (args, out) => void (args.u32(), args.u32(), args.u32(), args.u32(), out.bool(false))],
      [
        3,
        (args, out) => {
          const prog = args.u32();
          const vers = args.u32();
          const prot = args.u32();
          args.u32();
          const served = prot === IPPROTO_TCP && ((prog === NFS_PROGRAM && vers === 3) || (prog === MOUNT_PROGRAM && vers === 3) || (prog === PMAP_PROGRAM && vers === 2));
          out.u32(served ? this.mainPort : 0);
        },
      ],
      [
        4,
        (_args, out) => {
          for (const [prog, vers] of [[PMAP_PROGRAM, 2], [MOUNT_PROGRAM, 3], [NFS_PROGRAM, 3]] as const) out.bool(true).u32(prog).u32(vers).u32(IPPROTO_TCP).u32(this.mainPort);
          out.bool(false);
        },
      ],
    ]);
  }

  private mountProgram(): Map<number, Procedure> {
    return new Map<number, Procedure>([
      [0, () => undefined],
      [
        1,
        (args, out, ctx) => {
          const path = args.string(1024);
          const node = this.mountPoint(path);
          if (typeof node === 'number') {
            this.opts.log.warn('nfs: mount refused', { client: ctx.address, path, status: node });
            out.u32(node);
            return;
          }
          this.opts.log.info('nfs: mounted', { client: ctx.address, path });
          out.u32(MountStat.OK).opaque(this.handle(node)).u32(2).u32(AUTH_SYS).u32(AUTH_NONE);
        },
      ],
      // DUMP: mounts are not tracked (they are a hint in NFS v3, never state).
      [2, (_args, out) => void out.bool(false)],
      [3, (args) => void args.string(1024)],
      [4, () => undefined],
      [
        5,
        (_args, out) => {
          out.bool(true).string(this.exportPath);
          for (const c of this.opts.clients) out.bool(true).string(c);
          out.bool(false).bool(false);
        },
      ],
    ]);
  }

  private mountPoint(path: string): Node | MountStat {
    if (path.length > 1024) return MountStat.NAMETOOLONG;
    const clean = normalizeExport(path);
    if (clean !== this.exportPath && !clean.startsWith(`${this.exportPath}/`)) return MountStat.ACCES;
    if (path.split('/').includes('..')) return MountStat.ACCES;
    const node = this.resolvePath(clean.slice(this.exportPath.length));
    if (!node) return MountStat.NOENT;
    if (node.kind !== 'root' && node.kind !== 'folder') return MountStat.NOTDIR;
    return node;
  }

  private nfsProgram(): Map<number, Procedure> {
    const p = new Map<number, Procedure>();
    /** Runs a procedure; an NfsError becomes its status with the failure body `fail` writes. */
    const proc = (n: number, body: (args: XdrReader, out: XdrWriter, ctx: CallContext) => Promise<void>, fail: (out: XdrWriter) => Promise<void> | void) => {
      p.set(n, async (args, out, ctx) => {
        const result = new XdrWriter();
        try {
          await body(args, result, ctx);
        } catch (err) {
          if (!(err instanceof NfsError) && !isIoError(err)) throw err;
          const status = err instanceof NfsError ? err.stat : NfsStat.IO;
          if (status === NfsStat.IO) this.opts.log.warn('nfs: I/O error', { procedure: n, err: String(err) });
          out.u32(status);
          await fail(out);
          return;
        }
        out.u32(NfsStat.OK);
        for (const b of result.buffers()) out.fixed(b);
      });
    };
    const fh = (args: XdrReader) => args.opaque(64);
    const noAttr = (out: XdrWriter) => void out.bool(false);
    const noWcc = (out: XdrWriter) => void out.bool(false).bool(false);

    p.set(0, () => undefined);
    // GETATTR
    proc(1, async (args, out) => this.writeAttr(out, await this.attr(this.node(fh(args)))), () => undefined);
    // SETATTR
    proc(2, async (args, out) => {
      const node = this.node(fh(args));
      const s = readSattr(args);
      if (args.bool()) args.fixed(8);
      if (s.size !== undefined) {
        if (node.kind === 'file') await truncate(this.pubs.filePath(node.pub, node.file.fileNo), s.size);
        else if (node.kind === 'flat' && s.size === (await this.pubs.disk(node.pub, node.disk)).capacity) {
          // The disk's own size: nothing to change.
        } else throw new NfsError(node.kind === 'root' || node.kind === 'folder' ? NfsStat.ISDIR : NfsStat.ACCES);
      }
      // Mode, owner and times are not kept: every file keeps the attributes the server gives it.
      await this.wcc(out, node);
    }, noWcc);
    // LOOKUP
    proc(3, async (args, out) => {
      const dir = this.node(fh(args));
      const node = this.lookup(dir, args.string(1024));
      out.opaque(this.handle(node));
      await this.postOp(out, node);
      await this.postOp(out, dir);
    }, noAttr);
    // ACCESS: read, lookup, modify, extend, delete, execute — all granted where the object allows them.
    proc(4, async (args, out) => {
      const node = this.node(fh(args));
      const asked = args.u32();
      await this.postOp(out, node);
      const isDir = node.kind === 'root' || node.kind === 'folder';
      const allowed = isDir ? 0x01 | 0x02 | 0x04 | 0x08 | 0x10 : 0x01 | 0x04 | 0x08 | (node.kind === 'file' ? 0x10 : 0);
      out.u32(asked & allowed);
    }, noAttr);
    // READLINK, MKDIR, SYMLINK, MKNOD, RMDIR, LINK: not supported.
    proc(5, async (args) => void (fh(args), (() => { throw new NfsError(NfsStat.NOTSUPP); })()), noAttr);
    for (const n of [9, 10, 11]) proc(n, async () => { throw new NfsError(NfsStat.NOTSUPP); }, noWcc);
    proc(13, async () => { throw new NfsError(NfsStat.NOTSUPP); }, noWcc);
    proc(15, async () => { throw new NfsError(NfsStat.NOTSUPP); }, (out) => void out.bool(false).bool(false).bool(false));
    // READ
    proc(6, async (args, out) => {
      const node = this.node(fh(args));
      const offset = args.u64();
      const count = Math.min(args.u32(), MAX_IO);
      const { data, size } = await this.read(node, offset, count);
      await this.postOp(out, node);
      out.u32(data.length).bool(offset + data.length >= size).opaque(data);
    }, noAttr);
    // WRITE
    proc(7, async (args, out) => {
      const node = this.node(fh(args));
      const offset = args.u64();
      const count = args.u32();
      const stable = args.u32();
      const data = args.opaque(MAX_IO);
      if (data.length < count) throw new NfsError(NfsStat.INVAL);
      await this.write(node, offset, data.subarray(0, count), stable !== 0);
      await this.wcc(out, node);
      out.u32(count).u32(stable === 0 ? 0 : 2).fixed(this.writeVerf);
    }, noWcc);
    // CREATE
    proc(8, async (args, out) => {
      const dir = this.node(fh(args));
      const name = args.string(1024);
      const mode = args.u32();
      let size: number | undefined;
      if (mode === 2) args.fixed(8);
      else size = readSattr(args).size;
      const node = await this.create(dir, name, mode, size);
      out.bool(true).opaque(this.handle(node));
      await this.postOp(out, node);
      await this.wcc(out, dir);
    }, noWcc);
    // REMOVE
    proc(12, async (args, out) => {
      const dir = this.node(fh(args));
      await this.remove(dir, args.string(1024));
      await this.wcc(out, dir);
    }, noWcc);
    // RENAME
    proc(14, async (args, out) => {
      const from = this.node(fh(args));
      const fromName = args.string(1024);
      const to = this.node(fh(args));
      const toName = args.string(1024);
      await this.rename(from, fromName, to, toName);
      await this.wcc(out, from);
      await this.wcc(out, to);
    }, (out) => void out.bool(false).bool(false).bool(false).bool(false));
    // READDIR and READDIRPLUS
    const readdir = (plus: boolean) => async (args: XdrReader, out: XdrWriter) => {
      const dir = this.node(fh(args));
      const cookie = args.u64();
      args.fixed(8);
      const count = args.u32();
      const max = plus ? args.u32() : count;
      const entries = [
        { name: '.', node: dir },
        { name: '..', node: dir.kind === 'folder' ? ({ kind: 'root' } as Node) : dir },
        ...this.children(dir),
      ];
      if (cookie > entries.length) throw new NfsError(NfsStat.BAD_COOKIE);
      await this.postOp(out, dir);
      out.fixed(Buffer.alloc(8));
      let used = 200;
      let i = cookie;
      for (; i < entries.length; i++) {
        const e = entries[i]!;
        const a = await this.attr(e.node).catch(() => null);
        const cost = 24 + Math.ceil(e.name.length / 4) * 4 + (plus ? 140 : 0);
        if (used + cost > Math.max(max, 512)) break;
        used += cost;
        out.bool(true).u64(a?.fileid ?? 0).string(e.name).u64(i + 1);
        if (plus) {
          if (a) {
            out.bool(true);
            this.writeAttr(out, a);
          } else out.bool(false);
          out.bool(true).opaque(this.handle(e.node));
        }
      }
      if (i === cookie && i < entries.length) throw new NfsError(NfsStat.TOOSMALL);
      out.bool(false).bool(i >= entries.length);
    };
    proc(16, readdir(false), noAttr);
    proc(17, readdir(true), noAttr);
    // FSSTAT
    proc(18, async (args, out) => {
      const node = this.node(fh(args));
      await this.postOp(out, node);
      const total = this.pubs.list().reduce((n, pub) => n + pub.disks.reduce((m, d) => m + d.capacity, 0), 0);
      const free = 1024 ** 4;
      out.u64(total + free).u64(free).u64(free).u64(1_000_000).u64(1_000_000).u64(1_000_000).u32(0);
    }, noAttr);
    // FSINFO
    proc(19, async (args, out) => {
      const node = this.node(fh(args));
      await this.postOp(out, node);
      // FSF3_HOMOGENEOUS only: no links, no symlinks, and times cannot be set.
      out.u32(MAX_IO).u32(PREF_IO).u32(4096).u32(MAX_IO).u32(PREF_IO).u32(4096).u32(64 * 1024).u64(2 ** 53 - 1).u32(0).u32(1_000_000).u32(0x0008);
    }, noAttr);
    // PATHCONF
    proc(20, async (args, out) => {
      const node = this.node(fh(args));
      await this.postOp(out, node);
      out.u32(1).u32(NAME_MAX).bool(true).bool(true).bool(false).bool(true);
    }, noAttr);
    // COMMIT
    proc(21, async (args, out) => {
      const node = this.node(fh(args));
      args.u64();
      args.u32();
      if (node.kind === 'flat') await (await this.pubs.disk(node.pub, node.disk)).commit();
      else if (node.kind === 'file') {
        const h = await open(this.pubs.filePath(node.pub, node.file.fileNo), 'r+');
        try {
          await h.datasync();
        } finally {
          await h.close();
        }
      }
      await this.wcc(out, node);
      out.fixed(this.writeVerf);
    }, noWcc);
    return p;
  }

  // ---- file operations ----

  private async read(node: Node, offset: number, count: number): Promise<{ data: Buffer; size: number }> {
    switch (node.kind) {
      case 'root':
      case 'folder':
        throw new NfsError(NfsStat.ISDIR);
      case 'descriptor': {
        const text = Buffer.from(this.descriptorText(node.pub, node.disk));
        return { data: text.subarray(Math.min(offset, text.length), Math.min(offset + count, text.length)), size: text.length };
      }
      case 'flat': {
        const d = await this.pubs.disk(node.pub, node.disk);
        return { data: await d.read(offset, count), size: d.capacity };
      }
      case 'file': {
        const h = await open(this.pubs.filePath(node.pub, node.file.fileNo), 'r');
        try {
          const size = (await h.stat()).size;
          const buf = Buffer.alloc(Math.max(0, Math.min(count, size - offset)));
          if (buf.length) await h.read(buf, 0, buf.length, offset);
          return { data: buf, size };
        } finally {
          await h.close();
        }
      }
    }
  }

  private async write(node: Node, offset: number, data: Buffer, stable: boolean): Promise<void> {
    if (node.kind === 'root' || node.kind === 'folder') throw new NfsError(NfsStat.ISDIR);
    if (node.kind === 'descriptor') {
      // A client rewriting the descriptor (ESXi updates its CID) gets a copy of its own to write.
      const file = await this.materialize(node.pub, node.disk);
      return this.write({ kind: 'file', pub: node.pub, file }, offset, data, stable);
    }
    if (node.kind === 'flat') {
      const d = await this.pubs.disk(node.pub, node.disk);
      if (offset + data.length > d.capacity) throw new NfsError(NfsStat.FBIG);
      await d.write(offset, data, stable);
      return;
    }
    const h = await open(this.pubs.filePath(node.pub, node.file.fileNo), 'r+');
    try {
      await h.write(data, 0, data.length, offset);
      if (stable) await h.datasync();
    } finally {
      await h.close();
    }
  }

  private async materialize(pub: Publication, disk: number): Promise<PublishedFile> {
    const name = descriptorName(disk);
    const existing = pub.files.find((f) => f.name === name);
    if (existing) return existing;
    const file = { name, fileNo: pub.nextFileNo++ };
    const h = await open(this.pubs.filePath(pub, file.fileNo), 'w', 0o600);
    try {
      await h.writeFile(this.descriptorText(pub, disk));
    } finally {
      await h.close();
    }
    pub.files.push(file);
    await this.pubs.saveFiles();
    return file;
  }

  private async create(dir: Node, name: string, mode: number, size: number | undefined): Promise<Node> {
    if (dir.kind === 'root') throw new NfsError(NfsStat.ACCES);
    if (dir.kind !== 'folder') throw new NfsError(NfsStat.NOTDIR);
    checkName(name);
    const existing = this.children(dir).find((c) => c.name === name);
    if (existing) {
      // UNCHECKED creates over an existing file (truncating it when asked); GUARDED and EXCLUSIVE refuse.
      if (mode !== 0 || existing.node.kind !== 'file') throw new NfsError(NfsStat.EXIST);
      if (size !== undefined) await truncate(this.pubs.filePath(dir.pub, existing.node.file.fileNo), size);
      return existing.node;
    }
    const file = { name, fileNo: dir.pub.nextFileNo++ };
    const h = await open(this.pubs.filePath(dir.pub, file.fileNo), 'w', 0o600);
    await h.close();
    if (size) await truncate(this.pubs.filePath(dir.pub, file.fileNo), size);
    dir.pub.files.push(file);
    await this.pubs.saveFiles();
    return { kind: 'file', pub: dir.pub, file };
  }

  private async remove(dir: Node, name: string): Promise<void> {
    const node = this.lookup(dir, name);
    if (node.kind === 'root' || node.kind === 'folder') throw new NfsError(NfsStat.ISDIR);
    if (node.kind !== 'file') throw new NfsError(NfsStat.ACCES);
    node.pub.files = node.pub.files.filter((f) => f !== node.file);
    await this.pubs.saveFiles();
    await rm(this.pubs.filePath(node.pub, node.file.fileNo), { force: true });
  }

  private async rename(from: Node, fromName: string, to: Node, toName: string): Promise<void> {
    const node = this.lookup(from, fromName);
    if (to.kind !== 'folder' || from.kind !== 'folder') throw new NfsError(NfsStat.ACCES);
    if (to.pub.id !== from.pub.id) throw new NfsError(NfsStat.ACCES);
    if (node.kind !== 'file') throw new NfsError(NfsStat.ACCES);
    checkName(toName);
    const target = this.children(to).find((c) => c.name === toName);
    if (target && target.node.kind !== 'file') throw new NfsError(NfsStat.ACCES);
    if (target && target.node.kind === 'file' && target.node.file !== node.file) {
      const replaced = target.node.file;
      from.pub.files = from.pub.files.filter((f) => f !== replaced);
      await rm(this.pubs.filePath(from.pub, replaced.fileNo), { force: true });
    }
    const renamed = { name: toName, fileNo: node.file.fileNo };
    from.pub.files = from.pub.files.map((f) => (f === node.file ? renamed : f));
    await this.pubs.saveFiles();
  }
}

function fileNo(node: Node): number {
  switch (node.kind) {
    case 'root':
      return 0;
    case 'folder':
      return 1;
    case 'descriptor':
      return 2 + 2 * node.disk;
    case 'flat':
      return 3 + 2 * node.disk;
    case 'file':
      return node.file.fileNo;
  }
}

export function descriptorName(disk: number): string {
  return `disk${disk}.vmdk`;
}

export function flatName(disk: number): string {
  return `disk${disk}-flat.vmdk`;
}

function checkName(name: string): void {
  if (name.length > NAME_MAX) throw new NfsError(NfsStat.NAMETOOLONG);
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new NfsError(NfsStat.INVAL);
}

/** `/a//b/` as `/a/b`. */
function normalizeExport(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

function readSattr(args: XdrReader): { size?: number } {
  if (args.bool()) args.u32();
  if (args.bool()) args.u32();
  if (args.bool()) args.u32();
  const size = args.bool() ? args.u64() : undefined;
  for (let i = 0; i < 2; i++) if (args.u32() === 2) args.fixed(8);
  return size === undefined ? {} : { size };
}

function isIoError(err: unknown): boolean {
  if (err instanceof Error && 'code' in err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && (code.startsWith('E') || code.startsWith('chunk-') || code === 'point-not-found' || code === 'index-invalid');
  }
  return false;
}
