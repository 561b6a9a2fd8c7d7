import { randomBytes } from 'node:crypto';
import { contentId, descriptor, descriptorFileName, GD_AT_END, geometry, grainMarker, marker, MARKER_FOOTER, sparseHeader } from './vmdk-format.js';
import { looksRandom } from './vmdk-writer.js';

describe('stream-optimized VMDK structures', () => {
  it('lays the sparse extent header out as VMware and qemu read it', () => {
    const h = sparseHeader({ capacitySectors: 81_920, descriptorSectors: 20, gdOffset: GD_AT_END });
    expect(h.byteLength).toBe(512);
    expect(h.subarray(0, 4).toString('latin1')).toBe('KDMV');
    expect(h.readUInt32LE(4)).toBe(3);
    // Newline detection, compressed grains, markers.
    expect(h.readUInt32LE(8)).toBe(0x30001);
    expect(h.readBigUInt64LE(12)).toBe(81_920n);
    expect(h.readBigUInt64LE(20)).toBe(128n);
    expect(h.readBigUInt64LE(28)).toBe(1n);
    expect(h.readBigUInt64LE(36)).toBe(20n);
    expect(h.readUInt32LE(44)).toBe(512);
    expect(h.readBigUInt64LE(56)).toBe(0xffffffffffffffffn);
    expect(h.readBigUInt64LE(64)).toBe(128n);
    expect([...h.subarray(73, 77)]).toEqual([0x0a, 0x20, 0x0d, 0x0a]);
    expect(h.readUInt16LE(77)).toBe(1);
    expect(sparseHeader({ capacitySectors: 1, descriptorSectors: 20, gdOffset: 4242 }).readBigUInt64LE(56)).toBe(4242n);
  });

  it('writes markers and grain markers', () => {
    const m = marker(MARKER_FOOTER, 1);
    expect([m.readBigUInt64LE(0), m.readUInt32LE(8), m.readUInt32LE(12), m.byteLength]).toEqual([1n, 0, 3, 512]);
    const g = grainMarker(256, 777);
    expect([g.readBigUInt64LE(0), g.readUInt32LE(8), g.byteLength]).toEqual([256n, 777, 12]);
  });

  it('sizes tables from the capacity', () => {
    expect(geometry(40 * 1024 * 1024 + 65536)).toEqual({ capacitySectors: 82_048, grains: 641, grainTables: 2, gdSectors: 1 });
    expect(geometry(1536)).toEqual({ capacitySectors: 3, grains: 1, grainTables: 1, gdSectors: 1 });
    expect(geometry(2 ** 40).gdSectors).toBe(256);
  });

  it('writes a descriptor naming the create type, the extent and a stable content id', () => {
    const d = descriptor({ capacitySectors: 2048, cid: contentId('p/0'), fileName: 'web "01"\n.vmdk' });
    expect(d).toContain('createType="streamOptimized"');
    expect(d).toContain('RW 2048 SPARSE "web_01_.vmdk"');
    expect(d).toMatch(/^CID=[0-9a-f]{8}$/m);
    expect(contentId('p/0')).toBe(contentId('p/0'));
    expect(contentId('p/0')).not.toBe(contentId('p/1'));
    expect(descriptorFileName('')).toBe('disk.vmdk');
  });

  it('tells random grains from structured ones', () => {
    expect(looksRandom(randomBytes(65536))).toBe(true);
    expect(looksRandom(Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(1500)).subarray(0, 65536))).toBe(false);
    const mixed = randomBytes(65536);
    mixed.fill(0, 0, 32768);
    expect(looksRandom(mixed)).toBe(false);
  });
});
