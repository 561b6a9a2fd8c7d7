import { findContextVm, parseContextObjectId } from './context-object-id';

describe('parseContextObjectId', () => {
  it('reads type, moref and vCenter GUID from a VM id', () => {
    expect(parseContextObjectId('urn:vmomi:VirtualMachine:vm-58:5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37')).toEqual({
      type: 'VirtualMachine',
      moref: 'vm-58',
      vcGuid: '5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37',
    });
  });

  it('reads objects of other types too', () => {
    expect(parseContextObjectId('urn:vmomi:Datastore:datastore-12:vc-1')).toEqual({
      type: 'Datastore',
      moref: 'datastore-12',
      vcGuid: 'vc-1',
    });
  });

  it('rejects ids that are not complete vmomi URNs', () => {
    for (const id of [
      '',
      'vm-58',
      'urn:vmomi:VirtualMachine:vm-58',
      'urn:vmomi:VirtualMachine::vc-1',
      'urn:vmomi::vm-58:vc-1',
      'urn:vmomi:VirtualMachine:vm-58:',
      'urn:other:VirtualMachine:vm-58:vc-1',
    ]) {
      expect(parseContextObjectId(id)).withContext(id).toBeNull();
    }
  });
});

describe('findContextVm', () => {
  it('picks the first virtual machine among the context objects', () => {
    const vm = findContextVm(['urn:vmomi:HostSystem:host-10:vc-1', 'urn:vmomi:VirtualMachine:vm-7:vc-1', 'urn:vmomi:VirtualMachine:vm-8:vc-1']);
    expect(vm?.moref).toBe('vm-7');
  });

  it('finds nothing when no virtual machine is in context', () => {
    expect(findContextVm(['urn:vmomi:Folder:group-d1:vc-1', 'garbage'])).toBeNull();
    expect(findContextVm([])).toBeNull();
  });
});
