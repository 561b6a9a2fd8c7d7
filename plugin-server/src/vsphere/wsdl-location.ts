/**
 * Where Lifeline's vim25 WSDL lives at run time. The WSDL is kept beside the TypeScript sources
 * (plugin-server/src/vsphere/wsdl/) and is not copied by the compiler, so the compiled code looks
 * for it from its own location upwards: in the source tree, in build/, or in an installed package.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LifelineError } from '../errors/index.js';

const RELATIVE = join('plugin-server', 'src', 'vsphere', 'wsdl', 'vimService.wsdl');

let found: string | undefined;

export function vimWsdlPath(): string {
  if (found !== undefined) return found;
  const here = dirname(fileURLToPath(import.meta.url));
  // Beside this file when running from the sources (a test loader), else under the package root.
  const candidates = [join(here, 'wsdl', 'vimService.wsdl')];
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) candidates.push(join(dir, RELATIVE));
    if (dirname(dir) === dir) break;
  }
  found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new LifelineError('vsphere-wsdl-missing', `Lifeline's vim25 WSDL (${RELATIVE}) is missing from the installation`, {
      searched: candidates,
    });
  }
  return found;
}
