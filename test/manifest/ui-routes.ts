// The hash routes the plugin UI has, read from its route table (plugin-ui/src/app/app.routes.ts).
// Read from the source rather than from a copy so that the manifest check can never disagree with
// what the app routes; the wildcard and the empty redirect are not views.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: build/test/manifest/ is three levels below it. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MANIFEST_DIR = join(ROOT, 'manifest');
export const ROUTES_FILE = join(ROOT, 'plugin-ui', 'src', 'app', 'app.routes.ts');

export function parseRoutePaths(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const paths = [...withoutComments.matchAll(/\bpath\s*:\s*(['"`])([^'"`]*)\1/g)].map((m) => m[2]!);
  return [...new Set(paths.filter((p) => p !== '' && p !== '**'))];
}

export async function uiRoutes(): Promise<string[]> {
  return parseRoutePaths(await readFile(ROUTES_FILE, 'utf8'));
}
