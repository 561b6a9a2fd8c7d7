// VMware's remote plug-in manifest schema, as Lifeline's tests check plugin.json against it: the
// JSON Schema in vsphere-plugin-manifest.schema.json, written from the published schema text (see
// its $comment), compiled once with ajv in strict mode.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

/** The repository root: build/test/manifest/ is three levels below it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MANIFEST_SCHEMA_FILE = join(ROOT, 'test', 'manifest', 'vsphere-plugin-manifest.schema.json');

let validate: ValidateFunction | null = null;

/** Every way `manifest` departs from the schema, as `<path>: <message>`; empty when it conforms. */
export function vsphereSchemaErrors(manifest: unknown): string[] {
  validate ??= new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_FILE, 'utf8')) as object);
  if (validate(manifest)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params['additionalProperty'])})` : ''}`);
}
