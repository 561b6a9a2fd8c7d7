// What the UI takes from the OpenAPI document must be what the document generates today.
import { committedUiFile, generatedUiFiles } from './ui-types.js';

describe('What the UI takes from the OpenAPI document', () => {
  it('is what the document generates (npm run openapi:types writes it)', async () => {
    const files = await generatedUiFiles();
    expect(Object.keys(files).length).toBe(2);
    for (const [file, generated] of Object.entries(files)) {
      const committed = await committedUiFile(process.cwd(), file);
      expect(committed === generated).withContext(`${file} is stale: run npm run openapi:types`).toBeTrue();
    }
  });
});
