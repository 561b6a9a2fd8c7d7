// `npm run openapi:types`: writes the UI's API types from the OpenAPI document.
import { UI_TYPES_FILE, writeUiTypes } from './ui-types.js';

await writeUiTypes(process.cwd());
process.stdout.write(`${UI_TYPES_FILE} written from the OpenAPI document\n`);
