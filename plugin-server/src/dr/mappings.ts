/**
 * Resource mappings of a pairing, kept at the DR site: which of this site's networks, datastores,
 * folder and resource pool a source site's VM lands on when it is failed over here, and the
 * isolated networks a test failover (a DR drill) connects it to instead.
 *
 * What the DR site knows of a source VM is what its replicated restore points carry: each point's
 * manifest holds the VM's configuration as it was backed up (network cards with their network's
 * name, the configuration file's datastore, disks, CPUs, memory). So networks and datastores are
 * mapped by the source's names, as the points name them. The points do not carry the source VM's
 * folder or resource pool, so those are one target each per pairing (null: the datacenter's VM
 * folder and the first compute resource's root pool).
 *
 * A VM's files all go to the mapping of the datastore of its configuration file (the VM's home);
 * that mapping and one for each network of its cards must exist, or the VM cannot be failed over
 * (`missingMappings` names what is missing).
 */
import { ValidationError } from '../errors/index.js';

export interface ResourceMappings {
  /** This site's vCenter (instance UUID) the VMs are recovered into; null: the only one configured. */
  readonly vcenterGuid: string | null;
  /** Source network name → this site's network name. */
  readonly networks: Readonly<Record<string, string>>;
  /** Source datastore name → this site's datastore name. */
  readonly datastores: Readonly<Record<string, string>>;
  /** Source network name → this site's isolated network for drills. */
  readonly testNetworks: Readonly<Record<string, string>>;
  /** This site's VM folder (moref), or null for the datacenter's VM folder. */
  readonly folder: string | null;
  /** This site's resource pool (moref), or null for the root pool of the datacenter's first compute resource. */
  readonly resourcePool: string | null;
}

export const EMPTY_MAPPINGS: ResourceMappings = { vcenterGuid: null, networks: {}, datastores: {}, testNetworks: {}, folder: null, resourcePool: null };

const MOREF = /^[A-Za-z0-9._-]{1,100}$/;
const GUID = /^[0-9A-Fa-f-]{8,64}$/;
const FIELDS = ['vcenterGuid', 'networks', 'datastores', 'testNetworks', 'folder', 'resourcePool'] as const;
/** vSphere names: up to 80 characters, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters have no place in a vSphere name
const NAME = /^[^\u0000-\u001f]{1,80}$/;

function nameMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${field} must map source names to names at this site`, { field });
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(v as Record<string, unknown>)) {
    if (!NAME.test(from)) throw new ValidationError(`${field}: "${from}" is not a name vSphere gives`, { field, source: from });
    if (typeof to !== 'string' || !NAME.test(to)) throw new ValidationError(`${field}.${from} must be the name of a ${field === 'datastores' ? 'datastore' : 'network'} at this site`, { field, source: from });
    out[from] = to;
  }
  if (Object.keys(out).length > 1000) throw new ValidationError(`${field} may hold at most 1000 entries`, { field });
  return out;
}

function optionalMoref(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !MOREF.test(v)) throw new ValidationError(`${field} must be a managed object id of this site's vCenter (e.g. group-v3, resgroup-8) or null`, { field });
  return v;
}

/** Reads mappings from a request body: their shape only (this site's inventory is checked by the service). */
export function parseMappings(body: unknown): ResourceMappings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the mappings must be a JSON object');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra !== undefined) throw new ValidationError(`${extra} is not a field of the mappings (allowed: ${FIELDS.join(', ')})`, { field: extra });
  const guid = b['vcenterGuid'];
  if (guid !== undefined && guid !== null && (typeof guid !== 'string' || !GUID.test(guid))) throw new ValidationError('vcenterGuid must be the instance UUID of a vCenter this site serves, or null', { field: 'vcenterGuid' });
  return {
    vcenterGuid: typeof guid === 'string' ? guid.toLowerCase() : null,
    networks: nameMap(b['networks'], 'networks'),
    datastores: nameMap(b['datastores'], 'datastores'),
    testNetworks: nameMap(b['testNetworks'], 'testNetworks'),
    folder: optionalMoref(b['folder'], 'folder'),
    resourcePool: optionalMoref(b['resourcePool'], 'resourcePool'),
  };
}

/** What a replicated point says the VM needs at the DR site: its networks and its home datastore. */
export interface VmNeeds {
  /** Names of the networks of its cards, sorted, without repeats. */
  readonly networks: readonly string[];
  /** The datastore of its configuration file (or of its first disk), if the point names one. */
  readonly datastore: string | null;
}

const DATASTORE_OF = /^\[([^\]]+)\]/;

/** Reads a point's recorded VM configuration (manifest `vm.config`) for what failover maps. */
export function needsOf(config: Readonly<Record<string, unknown>>): VmNeeds {
  const nics = Array.isArray(config['nics']) ? (config['nics'] as Array<{ network?: { name?: unknown } }>) : [];
  const networks = [...new Set(nics.map((n) => n.network?.name).filter((n): n is string => typeof n === 'string' && n !== ''))].sort();
  const disks = Array.isArray(config['disks']) ? (config['disks'] as Array<{ fileName?: unknown }>) : [];
  const home = typeof config['vmxPath'] === 'string' ? config['vmxPath'] : disks.map((d) => d.fileName).find((f): f is string => typeof f === 'string');
  return { networks, datastore: (home ? DATASTORE_OF.exec(home)?.[1] : undefined) ?? null };
}

export type MappingKind = 'network' | 'datastore' | 'test-network';

export interface MissingMapping {
  readonly kind: MappingKind;
  /** The source site's name that has no mapping. */
  readonly source: string;
}

/** The mappings a VM lacks for a failover (`test`: a drill, whose networks come from testNetworks). */
export function missingMappings(needs: VmNeeds, m: ResourceMappings, test: boolean): MissingMapping[] {
  const out: MissingMapping[] = [];
  const nets = test ? m.testNetworks : m.networks;
  for (const n of needs.networks) if (!Object.hasOwn(nets, n)) out.push({ kind: test ? 'test-network' : 'network', source: n });
  if (needs.datastore === null) out.push({ kind: 'datastore', source: '(the point names no datastore)' });
  else if (!Object.hasOwn(m.datastores, needs.datastore)) out.push({ kind: 'datastore', source: needs.datastore });
  return out;
}

/** "network VM Network, datastore LocalDS_0": what an error message names. */
export function describeMissing(missing: readonly MissingMapping[]): string {
  return missing.map((x) => `${x.kind} ${x.source}`).join(', ');
}
