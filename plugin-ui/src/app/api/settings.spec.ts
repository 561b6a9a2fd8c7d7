import { settingsBody } from '../testing/server-bodies';
import { readServerSettings } from './settings';

describe('server settings', () => {
  it('reads the server’s answer; a job limits object without per-class limits has none', () => {
    expect(readServerSettings(settingsBody())?.jobLimits).toEqual({ global: 4, perKeyClass: { datastore: 2 } });
    expect(readServerSettings(settingsBody({ jobLimits: { global: 3 } }))?.jobLimits).toEqual({ global: 3, perKeyClass: {} });
    const noStore = readServerSettings(settingsBody({ storeDir: null, storeEncrypted: null }));
    expect(noStore?.storeDir).toBeNull();
    expect(noStore?.storeEncrypted).toBeNull();
  });

  it('refuses an answer it cannot show whole', () => {
    expect(readServerSettings(settingsBody({ vcenters: [{ guid: 'g', url: 'u', user: 'x' }] }))).toBeNull();
    expect(readServerSettings(settingsBody({ warnings: 'none' }))).toBeNull();
    expect(readServerSettings(settingsBody({ jobLimits: { global: 4, perKeyClass: { datastore: '2' } } }))).toBeNull();
    expect(readServerSettings(settingsBody({ storeEncrypted: 'yes' }))).toBeNull();
    expect(readServerSettings(settingsBody({ sessionIdleSeconds: null }))).toBeNull();
    expect(readServerSettings([])).toBeNull();
  });
});
