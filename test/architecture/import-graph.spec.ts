// The server's import graph has no loops: no two files of plugin-server/src import each other,
// directly or through others (type-only imports included, since they tie the files together just
// the same). Read from the TypeScript sources; the layer rule itself is ESLint's
// (docs/architecture.md, "The server's layers").
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'plugin-server/src');

/**
 * Loops tolerated until they are broken, each named by its files, sorted; an entry must still be a
 * loop. None is left: a new loop is an error, not an entry here.
 */
const KNOWN_LOOPS: readonly string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Relative imports of a file, resolved to source files of plugin-server/src. */
export function importsOf(file: string, text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2]) as string;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (known.has(target)) out.push(target);
  }
  return out;
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
export function loops(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the server import graph', () => {
  it('finds a loop when there is one, and none in a chain', () => {
    expect(loops(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(loops(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('reads static, re-export, type-only and dynamic imports', () => {
    const known = new Set(['/s/a.ts', '/s/b.ts', '/s/c.ts', '/s/d.ts', '/s/x/e.ts']);
    const text = "import { b } from './b.js';\nimport type { C } from './c.js';\nexport * from './x/e.js';\nconst d = await import('./d.js');\nimport { z } from 'node:fs';";
    expect(importsOf('/s/a.ts', text, known).sort()).toEqual(['/s/b.ts', '/s/c.ts', '/s/d.ts', '/s/x/e.ts']);
  });

  it('has no two files of plugin-server/src that import each other, directly or in a loop', () => {
    const files = sourceFiles(SRC);
    const known = new Set(files);
    const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(f, 'utf8'), known)]));
    expect(files.length).toBeGreaterThan(150);
    const found = loops(graph).map((c) => c.map((f) => relative(SRC, f)).join(' '));
    expect(found.filter((l) => !KNOWN_LOOPS.includes(l))).withContext('import loops').toEqual([]);
    // A known loop that is gone leaves the list, so that it cannot come back unnoticed.
    expect(KNOWN_LOOPS.filter((l) => !found.includes(l))).withContext('known loops no longer there').toEqual([]);
  });
});
