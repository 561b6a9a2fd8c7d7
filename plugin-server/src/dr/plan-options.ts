/**
 * Per-VM options of a recovery plan (`vmOptions`, keyed by replicated VM id): which replicated
 * point a step recovers (`latest` by default), whether it powers the VM on and waits for VMware
 * Tools (and how long), the hook set of the server's configuration run once the VM is up, and
 * overrides of the pairing's mappings for that VM (networks by the source's names, the datastore,
 * folder and resource pool).
 *
 * `parseVmOptions` reads their shape; the service then checks them against what the DR site has
 * (the VM's replicated points and networks, the hook sets of lifeline.json, the DR site's vCenter
 * inventory), so a plan is stored only when every option names something that exists.
 */
import { ValidationError } from '../errors/index.js';

export interface VmPlanOptions {
  /** A replicated point id of the VM, or 'latest' (the default). */
  readonly point?: string;
  /** Default true. */
  readonly powerOn?: boolean;
  /** Default true. */
  readonly waitForTools?: boolean;
  /** Overrides the plan's toolsTimeoutSeconds for this VM. */
  readonly toolsTimeoutSeconds?: number;
  /** A hook set of the server's configuration, run once the VM is up. */
  readonly hookSet?: string;
  /** Source network name → this site's network name, over the pairing's mapping (failover only; a drill keeps the test networks). */
  readonly networks?: Readonly<Record<string, string>>;
  /** This site's datastore (by name) for the VM's files. */
  readonly datastore?: string;
  /** This site's VM folder (moref). */
  readonly folder?: string;
  /** This site's resource pool (moref). */
  readonly pool?: string;
}

const FIELDS = ['point', 'powerOn', 'waitForTools', 'toolsTimeoutSeconds', 'hookSet', 'networks', 'datastore', 'folder', 'pool'] as const;
// eslint-disable-next-line no-control-regex -- control characters have no place in a vSphere name
const NAME = /^[^\u0000-\u001f]{1,80}$/;
const MOREF = /^[A-Za-z0-9._-]{1,100}$/;
const POINT = /^[A-Za-z0-9._:-]{1,200}$/;
const HOOK_SET = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** Reads a plan's `vmOptions` (their shape only); `planVms` are the VMs of the plan's groups. */
export function parseVmOptions(raw: unknown, planVms: ReadonlySet<string>): Record<string, VmPlanOptions> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('vmOptions must map replicated VM ids to their options', { field: 'vmOptions' });
  const out: Record<string, VmPlanOptions> = {};
  for (const [vmId, v] of Object.entries(raw as Record<string, unknown>)) {
    const at = `vmOptions.${vmId}`;
    if (!planVms.has(vmId)) throw new ValidationError(`${at}: VM ${vmId} is not in the plan's groups`, { field: at });
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError(`${at} must be an object`, { field: at });
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).find((k) => !(FIELDS as readonly string[]).includes(k));
    if (extra !== undefined) throw new ValidationError(`${at}.${extra} is not a per-VM option (allowed: ${FIELDS.join(', ')})`, { field: `${at}.${extra}` });
    const opts: { -readonly [K in keyof VmPlanOptions]: VmPlanOptions[K] } = {};
    const str = (k: 'point' | 'hookSet' | 'datastore' | 'folder' | 'pool', re: RegExp, what: string): void => {
      const x = o[k];
      if (x === undefined) return;
      if (typeof x !== 'string' || !re.test(x)) throw new ValidationError(`${at}.${k} must be ${what}`, { field: `${at}.${k}` });
      opts[k] = x;
    };
    str('point', POINT, "a replicated point id of the VM, or 'latest'");
    str('hookSet', HOOK_SET, 'the name of a hook set of the server\'s configuration');
    str('datastore', NAME, 'the name of a datastore at this site');
    str('folder', MOREF, 'the managed object id of a VM folder at this site (e.g. group-v3)');
    str('pool', MOREF, 'the managed object id of a resource pool at this site (e.g. resgroup-8)');
    for (const k of ['powerOn', 'waitForTools'] as const) {
      if (o[k] === undefined) continue;
      if (typeof o[k] !== 'boolean') throw new ValidationError(`${at}.${k} must be true or false`, { field: `${at}.${k}` });
      opts[k] = o[k];
    }
    const t = o['toolsTimeoutSeconds'];
    if (t !== undefined) {
      if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0 || t > 3600) throw new ValidationError(`${at}.toolsTimeoutSeconds must be a whole number from 0 to 3600`, { field: `${at}.toolsTimeoutSeconds` });
      opts.toolsTimeoutSeconds = t;
    }
    const n = o['networks'];
    if (n !== undefined) {
      if (typeof n !== 'object' || n === null || Array.isArray(n)) throw new ValidationError(`${at}.networks must map source network names to networks at this site`, { field: `${at}.networks` });
      const nets: Record<string, string> = {};
      for (const [from, to] of Object.entries(n as Record<string, unknown>)) {
        if (!NAME.test(from) || typeof to !== 'string' || !NAME.test(to)) throw new ValidationError(`${at}.networks.${from} must be the name of a network at this site`, { field: `${at}.networks`, source: from });
        nets[from] = to;
      }
      opts.networks = nets;
    }
    out[vmId] = opts;
  }
  return out;
}
