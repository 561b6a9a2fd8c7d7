import { planDevices } from './new-instance.js';

describe('planDevices: network mapping', () => {
  const nic = (name: string) => ({ key: 4000, type: 'VirtualVmxnet3', label: 'Network adapter 1', macAddress: '00:50:56:00:00:01', network: { moref: 'network-7', name } });
  const cfg = (names: string[]) => ({ guestId: 'otherGuest64', cpus: 1, memoryMiB: 1024, vmxPath: undefined, disks: [], controllers: [], nics: names.map(nic) as never });

  it("takes a network named after an Object built-in as a name, not the built-in", () => {
    const { nics } = planDevices(cfg(['constructor', 'toString', '__proto__']), [], {});
    expect(nics.map((n) => ('name' in n.network ? n.network.name : null))).toEqual(['constructor', 'toString', '__proto__']);
  });

  it('maps only what the mapping itself names', () => {
    const mapping = JSON.parse('{"VM Network": "Prod", "__proto__": "Elsewhere"}') as Record<string, string>;
    const { nics } = planDevices(cfg(['VM Network', '__proto__', 'hasOwnProperty']), [], mapping);
    expect(nics.map((n) => ('name' in n.network ? n.network.name : null))).toEqual(['Prod', 'Elsewhere', 'hasOwnProperty']);
  });
});
