/**
 * The two files of a restored disk on a datastore, as vSphere lays out a flat disk: a text
 * descriptor `<name>.vmdk` (what a VM's backing names) and the data `<name>-flat.vmdk`, a raw image
 * of the whole disk. The descriptor is uploaded after the data, so a descriptor on the datastore
 * always describes complete data.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors/index.js';
import { formatDatastorePath, parseDatastorePath } from '../vsphere/index.js';

const SECTOR = 512;

/** "[ds] dir/name.vmdk" → "[ds] dir/name-flat.vmdk". */
export function flatFileOf(descriptor: string): string {
  const { datastore, path } = parseDatastorePath(descriptor);
  if (!path.endsWith('.vmdk')) throw new ValidationError(`a disk descriptor path ends in .vmdk: ${descriptor}`, { descriptor });
  return formatDatastorePath(datastore, `${path.slice(0, -'.vmdk'.length)}-flat.vmdk`);
}

/** The files vSphere may keep for a disk: descriptor, data and change tracking. */
export function diskFilesOf(descriptor: string): string[] {
  const flat = flatFileOf(descriptor);
  return [descriptor, flat, flat.replace(/-flat\.vmdk$/, '-ctk.vmdk')];
}

/** The descriptor of a flat disk of `capacity` bytes whose data file is `flatName` (no folder). */
export function flatDescriptor(flatName: string, capacity: number, uuidSeed: string): string {
  if (!Number.isSafeInteger(capacity) || capacity <= 0 || capacity % SECTOR !== 0) {
    throw new ValidationError(`a disk capacity must be a positive multiple of ${SECTOR} bytes, not ${capacity}`, { capacity });
  }
  if (/["\n]/.test(flatName)) throw new ValidationError(`not a disk file name: ${flatName}`, { flatName });
  const sectors = capacity / SECTOR;
  // A disk uuid of its own, so two restores of one point never look like one disk to a guest.
  const uuid = createHash('sha256').update(uuidSeed).digest().subarray(0, 16);
  const uuidText = [...uuid].map((b) => b.toString(16).padStart(2, '0')).join(' ').replace(/^((?:\S+ ){7}\S+) /, '$1-');
  return [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    'CID=fffffffe',
    'parentCID=ffffffff',
    'createType="vmfs"',
    '',
    '# Extent description',
    `RW ${sectors} VMFS "${flatName}"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.adapterType = "lsilogic"',
    `ddb.geometry.cylinders = "${Math.max(1, Math.floor(sectors / (255 * 63)))}"`,
    'ddb.geometry.heads = "255"',
    'ddb.geometry.sectors = "63"',
    'ddb.thinProvisioned = "1"',
    `ddb.uuid = "${uuidText}"`,
    'ddb.virtualHWVersion = "13"',
    '',
  ].join('\n');
}
