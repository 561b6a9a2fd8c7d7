/**
 * The one place where vim25 values are translated between node-soap's object form and plain,
 * typed values. node-soap's reading depends on what the schema declares: an array with a single
 * element arrives as that element, numbers under xsd:anyType arrive as strings, an element with
 * attributes arrives as `{ attributes, $value }`, an empty element as null. Every reply goes through
 * these readers, so the rest of the adapter sees one shape whatever the vCenter (or the simulator)
 * chose to send.
 */
import { VimProtocolError } from './vim-errors.js';

/** A managed object reference: `{ type: 'VirtualMachine', value: 'vm-42' }`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export type VimRecord = Readonly<Record<string, unknown>>;

export const ATTRIBUTES = 'attributes';
export const VALUE = '$value';

export function moRef(type: string, value: string): MoRef {
  return { type, value };
}

// ---- writing ----------------------------------------------------------------------------------

/** A managed object reference as node-soap writes it: `<x type="VirtualMachine">vm-42</x>`. */
export function encodeMoRef(ref: MoRef): Record<string, unknown> {
  return { [ATTRIBUTES]: { type: ref.type }, [VALUE]: ref.value };
}

/**
 * A data object of a derived type where the schema declares its base (a VirtualDisk where a
 * VirtualDevice is declared): vCenter needs `xsi:type`. The fields must be given in vim25's order,
 * base type's fields first; node-soap orders only by the declared type.
 */
export function typed(xsiType: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { [ATTRIBUTES]: { 'xsi:type': xsiType }, ...fields };
}

/** Drops the keys whose value is undefined, so optional fields are left out of the XML. */
export function compact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

// ---- reading ----------------------------------------------------------------------------------

export function isRecord(v: unknown): v is VimRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Zero, one or many elements as an array. */
export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The elements of a vim25 `ArrayOfX` value (`{ X: [...] }`), or of a plain repeated element. */
export function arrayOf(v: unknown, elementName: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isRecord(v) && elementName in v) return asArray(v[elementName]);
  if (isRecord(v) && Object.keys(v).every((k) => k === ATTRIBUTES)) return [];
  return asArray(v);
}

function scalar(v: unknown): unknown {
  return isRecord(v) && VALUE in v ? v[VALUE] : v;
}

export function str(v: unknown): string | undefined {
  const s = scalar(v);
  if (typeof s === 'string') return s;
  if (typeof s === 'number' || typeof s === 'boolean') return String(s);
  if (s instanceof Date) return s.toISOString();
  return undefined;
}

export function num(v: unknown): number | undefined {
  const s = scalar(v);
  if (typeof s === 'number') return Number.isFinite(s) ? s : undefined;
  if (typeof s === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(s)) return Number(s);
  return undefined;
}

export function bool(v: unknown): boolean | undefined {
  const s = scalar(v);
  if (typeof s === 'boolean') return s;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

export function date(v: unknown): Date | undefined {
  const s = scalar(v);
  if (s instanceof Date) return Number.isNaN(s.getTime()) ? undefined : s;
  if (typeof s === 'string') {
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** The element's `xsi:type` without its namespace prefix (`VirtualDisk`, `string`). */
export function xsiType(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  const attrs = v[ATTRIBUTES];
  if (!isRecord(attrs)) return undefined;
  for (const [k, val] of Object.entries(attrs)) {
    // The XML Schema instance prefix is usually `xsi`, but a server may choose another.
    if ((k === 'xsi:type' || k.endsWith(':type')) && typeof val === 'string') {
      const i = val.indexOf(':');
      return i >= 0 ? val.slice(i + 1) : val;
    }
  }
  return undefined;
}

export function decodeMoRef(v: unknown): MoRef | undefined {
  if (!isRecord(v)) return undefined;
  const attrs = v[ATTRIBUTES];
  const type = isRecord(attrs) ? attrs['type'] : undefined;
  const value = v[VALUE];
  if (typeof type !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
  return { type, value: String(value) };
}

/** A field of a data object, or undefined when the object or the field is absent. */
export function field(v: unknown, name: string): unknown {
  return isRecord(v) ? v[name] : undefined;
}

export function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new VimProtocolError(`vCenter's reply lacks ${what}`, { field: what });
  return v;
}

/**
 * A plain JSON-like copy of a decoded value: attributes other than xsi:type dropped, `$value`
 * unwrapped, xsi:type kept as `_type`. For fault properties and other values Lifeline only shows.
 */
export function plain(v: unknown, depth = 0): unknown {
  if (depth > 8) return undefined;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (v instanceof Date) return v.toISOString();
  if (!isRecord(v)) return v;
  const ref = decodeMoRef(v);
  if (ref) return `${ref.type}:${ref.value}`;
  const out: Record<string, unknown> = {};
  const t = xsiType(v);
  if (t !== undefined) out['_type'] = t;
  for (const [k, val] of Object.entries(v)) {
    if (k === ATTRIBUTES) continue;
    if (k === VALUE) return val;
    out[k] = plain(val, depth + 1);
  }
  return out;
}
