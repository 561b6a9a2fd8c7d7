/**
 * The stream-optimized VMDK format (VMware "Virtual Disk Format 5.0", section "Stream-Optimized
 * Compressed Sparse Extents"), as far as Lifeline writes it. All integers are little-endian; the
 * unit of every offset and size in the structures is the 512-byte sector.
 *
 *   sector 0          sparse extent header, gdOffset = GD_AT_END (the footer holds the real one)
 *   sector 1 ...      the embedded descriptor, padded up to `overHead`
 *   then, in LBA order, for each grain that is not all zeros:
 *                     grain marker { lba: u64, size: u32 } + deflate (zlib) data, padded to a sector
 *   after the last grain of each 32 MiB group that has one:
 *                     GT marker (1 sector) + grain table (512 × u32 sector offsets, 4 sectors)
 *   at the end:       GD marker + grain directory (u32 sector offset of each grain table, 0 for a
 *                     group without data), footer marker + footer (the header with the real
 *                     gdOffset), end-of-stream marker (a zero sector)
 *
 * A metadata marker is one sector: { numSectors: u64, size: u32 = 0, type: u32 } and zeros. The
 * footer and the end-of-stream marker are the last two sectors, where readers (qemu among them)
 * look for them. Grain tables of groups without data are left out and their directory entry is 0,
 * which reads as zeros; so is a grain table entry of 0. Grain offsets are u32 sectors, which caps
 * the compressed file at 2 TiB.
 */
import { createHash } from 'node:crypto';

export const SECTOR = 512;
/** 64 KiB grains, as VMware and qemu write them. */
export const GRAIN_SECTORS = 128;
export const GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
export const GTES_PER_GT = 512;
export const GT_SECTORS = (GTES_PER_GT * 4) / SECTOR;
/** Sectors before the first grain: the header, the descriptor and padding. */
export const OVERHEAD_SECTORS = 128;
export const GD_AT_END = 0xffffffffffffffffn;
export const MAX_SECTOR_OFFSET = 0xffffffff;

const MAGIC = 0x564d444b; // "KDMV" on disk
const FLAG_NL_DETECT = 1 << 0;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;

export const MARKER_EOS = 0;
export const MARKER_GT = 1;
export const MARKER_GD = 2;
export const MARKER_FOOTER = 3;

export const GRAIN_MARKER_BYTES = 12;

export interface VmdkGeometry {
  readonly capacitySectors: number;
  readonly grains: number;
  readonly grainTables: number;
  readonly gdSectors: number;
}

export function geometry(capacityBytes: number): VmdkGeometry {
  const capacitySectors = Math.ceil(capacityBytes / SECTOR);
  const grains = Math.ceil(capacitySectors / GRAIN_SECTORS);
  const grainTables = Math.ceil(grains / GTES_PER_GT);
  return { capacitySectors, grains, grainTables, gdSectors: Math.max(1, Math.ceil((grainTables * 4) / SECTOR)) };
}

export interface HeaderFields {
  readonly capacitySectors: number;
  readonly descriptorSectors: number;
  /** Sector of the grain directory, or GD_AT_END in the header at the start of the stream. */
  readonly gdOffset: number | typeof GD_AT_END;
}

/** The sparse extent header (also the footer), one sector. */
export function sparseHeader(h: HeaderFields): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(3, 4);
  b.writeUInt32LE(FLAG_NL_DETECT | FLAG_COMPRESSED | FLAG_MARKERS, 8);
  b.writeBigUInt64LE(BigInt(h.capacitySectors), 12);
  b.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  b.writeBigUInt64LE(1n, 28);
  b.writeBigUInt64LE(BigInt(h.descriptorSectors), 36);
  b.writeUInt32LE(GTES_PER_GT, 44);
  b.writeBigUInt64LE(0n, 48);
  b.writeBigUInt64LE(typeof h.gdOffset === 'bigint' ? h.gdOffset : BigInt(h.gdOffset), 56);
  b.writeBigUInt64LE(BigInt(OVERHEAD_SECTORS), 64);
  b.writeUInt8(0, 72);
  // The newline detection characters: a file damaged by a text-mode transfer is recognised.
  b.write('\n \r\n', 73, 'latin1');
  b.writeUInt16LE(COMPRESSION_DEFLATE, 77);
  return b;
}

/** A metadata marker sector (GT, GD, footer; EOS is all zeros). */
export function marker(type: number, numSectors: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.writeBigUInt64LE(BigInt(numSectors), 0);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(type, 12);
  return b;
}

/** The 12 bytes before a grain's compressed data. */
export function grainMarker(lba: number, size: number): Buffer {
  const b = Buffer.alloc(GRAIN_MARKER_BYTES);
  b.writeBigUInt64LE(BigInt(lba), 0);
  b.writeUInt32LE(size, 8);
  return b;
}

export interface DescriptorFields {
  readonly capacitySectors: number;
  /** Content id, 8 hex digits. */
  readonly cid: string;
  /** The extent's file name as the descriptor names it. */
  readonly fileName: string;
}

/** A content id that is the same every time the same disk of the same point is exported. */
export function contentId(seed: string): string {
  let cid = createHash('sha256').update(seed).digest().readUInt32LE(0);
  // ffffffff means "no parent" in parentCID; keep clear of it.
  if (cid === 0xffffffff) cid = 0xfffffffe;
  return cid.toString(16).padStart(8, '0');
}

/** A name safe inside the descriptor's quotes. */
export function descriptorFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 200);
  return safe === '' ? 'disk.vmdk' : safe;
}

export function descriptor(d: DescriptorFields): string {
  // BIOS geometry as VMware gives large disks: 255 heads, 63 sectors, cylinders capped at 65535.
  const cylinders = Math.max(1, Math.min(65535, Math.ceil(d.capacitySectors / (255 * 63))));
  return [
    '# Disk DescriptorFile',
    'version=1',
    `CID=${d.cid}`,
    'parentCID=ffffffff',
    'createType="streamOptimized"',
    '',
    '# Extent description',
    `RW ${d.capacitySectors} SPARSE "${descriptorFileName(d.fileName)}"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.adapterType = "lsilogic"',
    `ddb.geometry.cylinders = "${cylinders}"`,
    'ddb.geometry.heads = "255"',
    'ddb.geometry.sectors = "63"',
    'ddb.virtualHWVersion = "4"',
    '',
  ].join('\n');
}
