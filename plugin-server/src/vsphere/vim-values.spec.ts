import { ValidationError } from '../errors/index.js';
import { parseVcenterUrl } from './vim-session.js';
import { arrayOf, asArray, bool, decodeMoRef, num, plain, str, xsiType } from './vim-values.js';
import { decodeDevices, reencode } from './virtual-devices.js';
import { formatDatastorePath, parseDatastorePath } from './datastore-path.js';

describe('reading vim25 values', () => {
  it('takes one element or many as an array', () => {
    expect(asArray(undefined)).toEqual([]);
    expect(asArray(null)).toEqual([]);
    expect(asArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(asArray([1, 2])).toEqual([1, 2]);
    expect(arrayOf({ attributes: { 'xsi:type': 'ArrayOfString' }, string: 'x' }, 'string')).toEqual(['x']);
    expect(arrayOf({ attributes: { 'xsi:type': 'ArrayOfString' } }, 'string')).toEqual([]);
    expect(arrayOf(['a', 'b'], 'string')).toEqual(['a', 'b']);
  });

  it('reads numbers, booleans and strings whether typed or not', () => {
    expect(num(5)).toBe(5);
    expect(num('42')).toBe(42);
    expect(num({ attributes: { 'xsi:type': 'xsd:long' }, $value: '1099511627776' })).toBe(1099511627776);
    expect(num('4 GB')).toBeUndefined();
    expect(bool('true')).toBeTrue();
    expect(bool({ $value: 'false' })).toBeFalse();
    expect(bool('yes')).toBeUndefined();
    expect(str({ attributes: { 'XMLSchema-instance:type': 'xsd:string' }, $value: 'DC0_C0_VM0' })).toBe('DC0_C0_VM0');
    expect(str(7)).toBe('7');
    expect(str({ a: 1 })).toBeUndefined();
  });

  it('reads xsi:type under any prefix, and managed object references', () => {
    expect(xsiType({ attributes: { 'XMLSchema-instance:type': 'VirtualDisk' } })).toBe('VirtualDisk');
    expect(xsiType({ attributes: { 'xsi:type': 'vim25:VirtualDisk' } })).toBe('VirtualDisk');
    expect(xsiType({ attributes: { type: 'VirtualMachine' } })).toBeUndefined();
    expect(decodeMoRef({ attributes: { type: 'VirtualMachine' }, $value: 'vm-42' })).toEqual({ type: 'VirtualMachine', value: 'vm-42' });
    expect(decodeMoRef({ $value: 'vm-42' })).toBeUndefined();
    expect(plain({ attributes: { 'xsi:type': 'FileFault' }, file: '[ds] x', object: { attributes: { type: 'Datastore' }, $value: 'ds-1' } })).toEqual({
      _type: 'FileFault',
      file: '[ds] x',
      object: 'Datastore:ds-1',
    });
  });

  it('reads devices, and writes one back with xsi:type', () => {
    const device = {
      attributes: { 'XMLSchema-instance:type': 'VirtualDisk' },
      key: '2000',
      deviceInfo: { label: 'Hard disk 1', summary: null },
      backing: {
        attributes: { 'XMLSchema-instance:type': 'VirtualDiskFlatVer2BackingInfo' },
        fileName: '[ds 1] vm/vm.vmdk',
        datastore: { attributes: { type: 'Datastore' }, $value: 'datastore-11' },
        diskMode: 'persistent',
        changeId: '52 de/7',
      },
      controllerKey: 1000,
      unitNumber: '1',
      capacityInKB: '4096',
    };
    const controller = { attributes: { 'XMLSchema-instance:type': 'VirtualLsiLogicSASController' }, key: 1000, busNumber: '2' };
    const { disks, controllers } = decodeDevices({ VirtualDevice: [controller, device] });
    expect(controllers).toEqual([{ key: 1000, type: 'VirtualLsiLogicSASController', bus: 'scsi', busNumber: 2 }]);
    expect(disks).toEqual([
      {
        key: 2000,
        label: 'Hard disk 1',
        controllerKey: 1000,
        controllerType: 'VirtualLsiLogicSASController',
        bus: 'scsi',
        busNumber: 2,
        unitNumber: 1,
        capacityBytes: 4 * 1024 * 1024,
        datastore: { name: 'ds 1', moref: 'datastore-11' },
        fileName: '[ds 1] vm/vm.vmdk',
        backingType: 'VirtualDiskFlatVer2BackingInfo',
        changeId: '52 de/7',
        diskMode: 'persistent',
        thinProvisioned: undefined,
        uuid: undefined,
      },
    ]);
    expect(reencode(device)).toEqual({
      attributes: { 'xsi:type': 'VirtualDisk' },
      key: '2000',
      deviceInfo: { label: 'Hard disk 1', summary: '' },
      backing: {
        attributes: { 'xsi:type': 'VirtualDiskFlatVer2BackingInfo' },
        fileName: '[ds 1] vm/vm.vmdk',
        datastore: { attributes: { type: 'Datastore' }, $value: 'datastore-11' },
        diskMode: 'persistent',
        changeId: '52 de/7',
      },
      controllerKey: 1000,
      unitNumber: '1',
      capacityInKB: '4096',
    });
  });
});

describe('vCenter addresses', () => {
  it('accepts a vCenter URL with or without /sdk', () => {
    expect(parseVcenterUrl('https://vc.example.com')).toEqual({ sdk: 'https://vc.example.com/sdk', origin: 'https://vc.example.com', host: 'vc.example.com' });
    expect(parseVcenterUrl('https://127.0.0.1:8989/sdk').sdk).toBe('https://127.0.0.1:8989/sdk');
    expect(parseVcenterUrl('vc.example.com').origin).toBe('https://vc.example.com');
    expect(() => parseVcenterUrl('http://vc.example.com')).toThrowError(ValidationError);
    expect(() => parseVcenterUrl('https://vc.example.com/ui/')).toThrowError(ValidationError);
  });

  it('reads and writes datastore paths', () => {
    expect(parseDatastorePath('[LocalDS_0] vm/vm-flat.vmdk')).toEqual({ datastore: 'LocalDS_0', path: 'vm/vm-flat.vmdk' });
    expect(parseDatastorePath('[ds 1]')).toEqual({ datastore: 'ds 1', path: '' });
    expect(() => parseDatastorePath('vm/vm.vmdk')).toThrowError(ValidationError);
    expect(formatDatastorePath('ds', 'a/b')).toBe('[ds] a/b');
    expect(formatDatastorePath('ds', '')).toBe('[ds]');
  });
});
