import { settingsBody } from '../testing/server-bodies';
import { readServerSettings } from './settings';

describe('server settings', () => {
  it('reads the server’s answer; a job limits object without per-class limits has none', () => {
    expect(readServerSettings(settingsBody())?.jobLimits).toEqual({ global: 4, perKeyClass: { datastore: 2 }, queued: 10000 });
    expect(readServerSettings(settingsBody({ jobLimits: { global: 3, queued: 50 } }))?.jobLimits).toEqual({ global: 3, perKeyClass: {}, queued: 50 });
    const noStore = readServerSettings(settingsBody({ storeDir: null, storeEncrypted: null }));
    expect(noStore?.storeDir).toBeNull();
    expect(noStore?.storeEncrypted).toBeNull();
  });

  it('refuses an answer it cannot show whole', () => {
    expect(readServerSettings(settingsBody({ vcenters: [{ guid: 'g', url: 'u', user: 'x' }] }))).toBeNull();
    expect(readServerSettings(settingsBody({ warnings: 'none' }))).toBeNull();
    expect(readServerSettings(settingsBody({ jobLimits: { global: 4, perKeyClass: { datastore: '2' }, queued: 10 } }))).toBeNull();
    expect(readServerSettings(settingsBody({ jobLimits: { global: 4, perKeyClass: {} } }))).toBeNull();
    expect(readServerSettings(settingsBody({ storeEncrypted: 'yes' }))).toBeNull();
    expect(readServerSettings(settingsBody({ sessionIdleSeconds: null }))).toBeNull();
    expect(readServerSettings([])).toBeNull();
  });
});
