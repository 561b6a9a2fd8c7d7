// `npm run openapi:types`: writes what the UI takes from the OpenAPI document.
import { writeUiFiles } from './ui-types.js';

for (const file of await writeUiFiles(process.cwd())) process.stdout.write(`${file} written from the OpenAPI document\n`);
