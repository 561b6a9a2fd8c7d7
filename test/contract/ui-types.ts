// The UI's request and response types, generated from the OpenAPI document with
// openapi-typescript: `npm run openapi:types` writes them, and a spec fails while the committed
// file differs from what the document generates.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../../plugin-server/src/api/openapi/document.js';

/** Where the UI keeps the generated types, from the repository's root. */
export const UI_TYPES_FILE = join('plugin-ui', 'src', 'app', 'api', 'lifeline-api.generated.ts');

const HEADER = `/**
 * Lifeline's API types, generated from its OpenAPI document (plugin-server/src/api/openapi) by
 * \`npm run openapi:types\`. Do not edit: change the document and generate them again; a spec
 * fails while this file is stale. The readers beside it check untrusted answers against these.
 */

`;

/** The file's content as the document generates it now. */
export async function generatedUiTypes(): Promise<string> {
  // The version is not part of the types; a fixed one keeps the file the same across releases.
  const ast = await openapiTS(openApiDocument('0.0.0') as unknown as Parameters<typeof openapiTS>[0], { immutable: true });
  return HEADER + astToString(ast);
}

export async function committedUiTypes(root: string): Promise<string> {
  return readFile(join(root, UI_TYPES_FILE), 'utf8');
}

export async function writeUiTypes(root: string): Promise<void> {
  await writeFile(join(root, UI_TYPES_FILE), await generatedUiTypes());
}
