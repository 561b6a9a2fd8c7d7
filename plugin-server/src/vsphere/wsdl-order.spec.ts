/**
 * The requests Lifeline sends must follow vim25's schema: a vCenter reads each data object's
 * fields as a sequence in schema order, and rejects a derived type it is not told about with
 * xsi:type. The simulator is lenient on both, so this checks the XML node-soap writes for the
 * adapter's requests against Lifeline's own XSD: every element is a field of its (xsi:)type, in order.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createClientAsync, type Client } from 'soap';
import { encodeExtension } from './extensions.js';
import { filterSpec, traversalSpec } from './property-collector.js';
import { createVmDeviceChanges, vmConfigSpec } from './vm-operations.js';
import { addExistingDiskChange, createDiskChange, nicChange, removeDeviceChange, scsiControllerChange } from './virtual-devices.js';
import { encodeMoRef } from './vim-values.js';
import { vmEventEx } from './vcenter-events.js';
import { vimWsdlPath } from './wsdl-location.js';

interface SchemaType {
  base: string | undefined;
  fields: { name: string; type: string }[];
}

function loadSchema(): Map<string, SchemaType> {
  const dir = dirname(vimWsdlPath());
  const types = new Map<string, SchemaType>();
  for (const file of ['vim-types.xsd', 'vim-messages.xsd']) {
    const text = readFileSync(join(dir, file), 'utf8');
    // Named complex types, and the anonymous ones of top-level elements (named after the element).
    const re = /<xsd:(complexType|element) name="(\w+)"(?: type="[^"]*")?>([\s\S]*?)<\/xsd:\1>/g;
    for (const m of text.matchAll(re)) {
      const body = m[3] ?? '';
      const base = /<xsd:extension base="vim25:(\w+)"/.exec(body)?.[1];
      const fields = [...body.matchAll(/<xsd:element name="(\w+)" type="(?:vim25|xsd):(\w+)"/g)].map((f) => ({ name: f[1]!, type: f[2]! }));
      types.set(m[1] === 'element' ? `element:${m[2]}` : m[2]!, { base, fields });
    }
    for (const m of text.matchAll(/<xsd:element name="(\w+)" type="vim25:(\w+)"\/>/g)) {
      if (!text.includes(`<xsd:complexType name="${m[1]}"`)) types.set(`element:${m[1]}`, { base: m[2], fields: [] });
    }
  }
  return types;
}

/** A type's fields with its bases' first, as the XML sequence has them. */
function allFields(types: Map<string, SchemaType>, name: string): { name: string; type: string }[] {
  const t = types.get(name);
  if (!t) return [];
  return [...(t.base ? allFields(types, t.base) : []), ...t.fields];
}

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** Enough XML parsing for what node-soap writes: tags, attributes, text; no comments or CDATA. */
function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const stack = [root];
  for (const m of xml.replace(/^<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([\w:.-]+)([^>]*?)(\/?)>/g)) {
    const [, close, qname, rawAttrs, selfClose] = m;
    const name = qname!.replace(/^[\w-]+:/, '');
    if (close) {
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([\w:.-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    const node: XmlNode = { name, attrs, children: [] };
    stack[stack.length - 1]!.children.push(node);
    if (!selfClose) stack.push(node);
  }
  return root;
}

const PRIMITIVES = new Set(['string', 'int', 'long', 'short', 'byte', 'boolean', 'float', 'double', 'dateTime', 'base64Binary', 'anyType']);

/** Problems found below `node`, whose type is `type` (unless it names its own with xsi:type). */
function check(types: Map<string, SchemaType>, node: XmlNode, type: string, path: string, problems: string[]): void {
  const own = node.attrs['xsi:type'];
  const actual = own !== undefined ? own.replace(/^\w+:/, '') : type;
  if (PRIMITIVES.has(actual) || actual === 'ManagedObjectReference') return;
  if (!types.has(actual)) {
    problems.push(`${path}: type ${actual} is not in the schema`);
    return;
  }
  if (own !== undefined && own.includes(':') && !own.startsWith('xsd:')) problems.push(`${path}: xsi:type ${own} has a prefix vCenter may not resolve`);
  const fields = allFields(types, actual);
  let last = -1;
  for (const child of node.children) {
    const i = fields.findIndex((f) => f.name === child.name);
    const where = `${path}/${child.name}`;
    if (i < 0) {
      problems.push(`${where}: not a field of ${actual}`);
      continue;
    }
    if (i < last) problems.push(`${where}: out of order in ${actual} (after ${fields[last]!.name})`);
    last = i;
    check(types, child, fields[i]!.type, where, problems);
  }
}

describe('vim25 requests follow the schema', () => {
  let client: Client;
  let types: Map<string, SchemaType>;
  let lastXml = '';

  beforeAll(async () => {
    types = loadSchema();
    const capture = {
      request(_url: string, data: string, callback: (err: unknown) => void): void {
        lastXml = data;
        callback(new Error('captured'));
      },
    };
    client = await createClientAsync(vimWsdlPath(), { httpClient: capture as unknown as NonNullable<Parameters<typeof createClientAsync>[1]>['httpClient'] });
  });

  async function problemsOf(method: string, args: Record<string, unknown>): Promise<string[]> {
    const fn = client[`${method}Async`] as (a: unknown) => Promise<unknown>;
    await fn.call(client, args).catch(() => undefined);
    const envelope = parseXml(lastXml);
    const body = envelope.children[0]!.children.find((c) => c.name === 'Body')!;
    const request = body.children[0]!;
    expect(request.name).toBe(method);
    const problems: string[] = [];
    const element = types.get(`element:${method}`);
    check(types, request, element?.base ?? method, method, problems);
    return problems;
  }

  const vm = encodeMoRef({ type: 'VirtualMachine', value: 'vm-1' });

  it('for a reconfiguration adding, creating and removing disks and a network card', async () => {
    const raw = {
      attributes: { 'XMLSchema-instance:type': 'VirtualDisk' },
      key: 2000,
      deviceInfo: { attributes: { 'XMLSchema-instance:type': 'Description' }, label: 'Hard disk 1', summary: '4,096 KB' },
      backing: {
        attributes: { 'XMLSchema-instance:type': 'VirtualDiskFlatVer2BackingInfo' },
        fileName: '[ds1] vm/vm.vmdk',
        datastore: { attributes: { type: 'Datastore' }, $value: 'datastore-1' },
        diskMode: 'persistent',
        thinProvisioned: true,
        uuid: '6000C29-1',
        changeId: '52 aa/1',
      },
      controllerKey: 1000,
      unitNumber: 0,
      capacityInKB: 4096,
      capacityInBytes: 4194304,
    };
    const spec = vmConfigSpec({
      changeTrackingEnabled: true,
      deviceChange: [
        scsiControllerChange({ key: -100, busNumber: 1, type: 'VirtualLsiLogicSASController' }),
        addExistingDiskChange({ fileName: '[ds1] restored/a.vmdk', controllerKey: -100, unitNumber: 0, capacityBytes: 1 << 20, diskMode: 'independent_persistent' }),
        createDiskChange({ fileName: '[ds1]', controllerKey: 1000, unitNumber: 3, capacityBytes: 1 << 30, thinProvisioned: false }),
        removeDeviceChange(raw, true),
        nicChange({ type: 'VirtualVmxnet3', network: { switchUuid: '50 1a', portgroupKey: 'dvportgroup-9' }, macAddress: '00:50:56:00:00:01' }),
        nicChange({ type: 'VirtualE1000e', network: { name: 'VM Network' }, startConnected: false }),
      ],
      extraConfig: { 'lifeline.revert': 'temporary' },
      memoryMiB: 2048,
      numCpus: 4,
      name: 'renamed',
      annotation: 'note',
    });
    expect(await problemsOf('ReconfigVM_Task', { _this: vm, spec })).toEqual([]);
    expect(lastXml).toContain('xsi:type="VirtualDisk"');
    expect(lastXml).toContain('xsi:type="VirtualDiskFlatVer2BackingInfo"');
    expect(lastXml).toContain('<vim25:fileOperation>destroy</vim25:fileOperation>');
  });

  it("for an extension's event posted on a VM", async () => {
    const event = vmEventEx(
      { eventTypeId: 'com.example.backup.failed', severity: 'error', message: 'Backup failed', vm: { moref: 'vm-1', name: 'db01' }, arguments: { jobId: 'j-1' } },
      new Date(0),
    );
    expect(await problemsOf('PostEvent', { _this: encodeMoRef({ type: 'EventManager', value: 'EventManager' }), eventToPost: event })).toEqual([]);
    expect(lastXml).toContain('xsi:type="EventEx"');
  });

  it('for a new VM', async () => {
    const spec = vmConfigSpec({
      name: 'new',
      guestId: 'otherGuest64',
      vmPathName: '[ds1]',
      numCpus: 2,
      memoryMiB: 512,
      firmware: 'efi',
      changeTrackingEnabled: true,
      deviceChange: createVmDeviceChanges({
        name: 'new',
        guestId: 'otherGuest64',
        vmPathName: '[ds1]',
        numCpus: 2,
        memoryMiB: 512,
        scsiControllers: [{ key: -100, busNumber: 0, type: 'ParaVirtualSCSIController' }],
        newDisks: [{ fileName: '[ds1]', controllerKey: -100, unitNumber: 0, capacityBytes: 1 << 30 }],
        nics: [{ type: 'VirtualVmxnet3', network: { name: 'VM Network' } }],
      }),
    });
    expect(
      await problemsOf('CreateVM_Task', {
        _this: encodeMoRef({ type: 'Folder', value: 'group-v3' }),
        config: spec,
        pool: encodeMoRef({ type: 'ResourcePool', value: 'resgroup-8' }),
      }),
    ).toEqual([]);
  });

  it('for a property retrieval with a traversal', async () => {
    const spec = filterSpec(
      [{ obj: { type: 'ContainerView', value: 'session[1]' }, skip: true, selectSet: [traversalSpec('view', 'ContainerView', 'view')] }],
      [{ type: 'VirtualMachine', paths: ['name', 'config.hardware.device'] }],
    );
    expect(await problemsOf('RetrievePropertiesEx', { _this: encodeMoRef({ type: 'PropertyCollector', value: 'propertyCollector' }), specSet: [spec], options: { maxObjects: 10 } })).toEqual([]);
  });

  it('for an extension registration', async () => {
    const extension = encodeExtension(
      {
        key: 'com.example.lifeline',
        version: '1.0.0.0',
        description: { label: 'Lifeline', summary: 'Backup' },
        company: 'Example',
        clients: [{ version: '1.0.0.0', description: { label: 'L', summary: 'S' }, company: 'Example', type: 'vsphere-client-remote', url: 'https://x/plugin.json' }],
        servers: [{ url: 'https://x/plugin.json', description: { label: 'L', summary: 'S' }, company: 'Example', type: 'MANIFEST_SERVER', adminEmail: ['a@example.com'], serverThumbprint: 'AA' }],
        privileges: [{ privId: 'com.example.lifeline.Protect', privGroupName: 'com.example.lifeline' }],
        resources: [{ locale: 'en', module: 'com.example.lifeline', data: { k: 'v' } }],
        shownInSolutionManager: true,
      },
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(await problemsOf('RegisterExtension', { _this: encodeMoRef({ type: 'ExtensionManager', value: 'ExtensionManager' }), extension })).toEqual([]);
    expect(lastXml).toContain('<vim25:lastHeartbeatTime>2026-01-02T03:04:05.000Z</vim25:lastHeartbeatTime>');
  });

  it('for a snapshot, a CBT query and a privilege check', async () => {
    expect(await problemsOf('CreateSnapshot_Task', { _this: vm, name: 'n', description: '', memory: false, quiesce: true })).toEqual([]);
    expect(
      await problemsOf('QueryChangedDiskAreas', {
        _this: vm,
        snapshot: encodeMoRef({ type: 'VirtualMachineSnapshot', value: 'snapshot-1' }),
        deviceKey: 2000,
        startOffset: 0,
        changeId: '*',
      }),
    ).toEqual([]);
    expect(
      await problemsOf('HasPrivilegeOnEntities', {
        _this: encodeMoRef({ type: 'AuthorizationManager', value: 'AuthorizationManager' }),
        entity: [vm],
        sessionId: 'k',
        privId: ['System.View', 'System.Read'],
      }),
    ).toEqual([]);
  });

  it('finds a field out of order, and one that does not exist', async () => {
    // node-soap sorts the fields the declared type (VirtualDevice) knows; a derived type's own
    // fields keep the order they were written in, which is what the builders must get right.
    const problems = await problemsOf('ReconfigVM_Task', {
      _this: vm,
      spec: { deviceChange: [{ operation: 'add', device: { attributes: { 'xsi:type': 'VirtualDisk' }, key: -1, capacityInBytes: 1024, capacityInKB: 1, sizeInKB: 1 } }] },
    });
    expect(problems).toEqual([
      'ReconfigVM_Task/spec/deviceChange/device/capacityInKB: out of order in VirtualDisk (after capacityInBytes)',
      'ReconfigVM_Task/spec/deviceChange/device/sizeInKB: not a field of VirtualDisk',
    ]);
  });
});
