// The UI's API types must be those the OpenAPI document generates today.
import { committedUiTypes, generatedUiTypes, UI_TYPES_FILE } from './ui-types.js';

describe("The UI's generated API types", () => {
  it('are what the OpenAPI document generates (npm run openapi:types writes them)', async () => {
    const [committed, generated] = await Promise.all([committedUiTypes(process.cwd()), generatedUiTypes()]);
    expect(committed === generated).withContext(`${UI_TYPES_FILE} is stale: run npm run openapi:types`).toBeTrue();
  });
});
