import { chmod, chown, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, loadConfig } from './index.js';

const GUID = '5a3c9f6e-1b2d-4e8f-9a0b-1c2d3e4f5a6b';
const OTHER = '0f0e0d0c-0b0a-4908-8706-050403020100';
const PRINT = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');

function vc(over: Record<string, unknown> = {}) {
  return { url: 'https://vc.example.com/sdk', thumbprint: PRINT, user: 'svc-lifeline@vsphere.local', passwordFile: 'vc.pw', ...over };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('buildConfig', () => {
  it('has loopback and data-dir defaults', () => {
    const c = buildConfig({ cwd: '/srv' });
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8443);
    expect(c.dataDir).toBe('/srv/.lifeline-data');
    expect(c.storeDir).toBe('/srv/.lifeline-data/store');
    expect(c.logLevel).toBe('info');
    expect(c.uiDir).toBeNull();
    expect(c.sessionIdleSeconds).toBe(600);
    expect(c.vcenters.size).toBe(0);
    expect(c.configFile).toBeNull();
  });

  it('reads the file, resolving its relative paths against its own directory', () => {
    const c = buildConfig({
      cwd: '/elsewhere',
      filePath: '/etc/lifeline/lifeline.json',
      file: { dataDir: 'data', port: 9443, logLevel: 'debug', vcenters: { [GUID.toUpperCase()]: vc() } },
    });
    expect(c.dataDir).toBe('/etc/lifeline/data');
    expect(c.storeDir).toBe('/etc/lifeline/data/store');
    expect(c.port).toBe(9443);
    expect(c.logLevel).toBe('debug');
    const v = c.vcenters.get(GUID);
    expect(v).toEqual({
      guid: GUID,
      url: 'https://vc.example.com',
      thumbprint: PRINT,
      user: 'svc-lifeline@vsphere.local',
      passwordFile: '/etc/lifeline/vc.pw',
    });
  });

  it('lets the environment override the file, and flags override both', () => {
    const c = buildConfig({
      cwd: '/run',
      filePath: '/etc/lifeline/lifeline.json',
      file: { dataDir: '/file-data', port: 9443, host: '0.0.0.0', vcenters: { [GUID]: vc() } },
      env: {
        LIFELINE_PORT: '10443',
        LIFELINE_DATA_DIR: '/env-data',
        LIFELINE_VCENTER_URL: 'https://other.example.com:8443',
        LIFELINE_VCENTER_PASSWORD_FILE: 'env.pw',
      },
      flags: { dataDir: 'flag-data' },
    });
    expect(c.port).toBe(10443);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('/run/flag-data');
    const v = c.vcenters.get(GUID);
    expect(v?.url).toBe('https://other.example.com:8443');
    expect(v?.user).toBe('svc-lifeline@vsphere.local');
    expect(v?.passwordFile).toBe('/run/env.pw');
  });

  it('builds a vCenter from the environment alone', () => {
    const c = buildConfig({
      cwd: '/run',
      env: {
        LIFELINE_VCENTER_GUID: GUID,
        LIFELINE_VCENTER_URL: 'https://127.0.0.1:4443/sdk',
        LIFELINE_VCENTER_THUMBPRINT: PRINT.replace(/:/g, '').toLowerCase(),
        LIFELINE_VCENTER_USER: 'svc',
        LIFELINE_VCENTER_PASSWORD_FILE: '/secrets/vc',
      },
    });
    expect(c.vcenters.get(GUID)).toEqual({
      guid: GUID,
      url: 'https://127.0.0.1:4443',
      thumbprint: PRINT,
      user: 'svc',
      passwordFile: '/secrets/vc',
    });
  });

  it('asks which vCenter the environment means when the file has several', () => {
    const err = errorOf(() =>
      buildConfig({ cwd: '/', file: { vcenters: { [GUID]: vc(), [OTHER]: vc() } }, env: { LIFELINE_VCENTER_USER: 'x' } }),
    );
    expect(err.details['field']).toBe('LIFELINE_VCENTER_GUID');
  });

  it('names the field of every mistake', () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, string]> = [
      [{ port: 70000 }, {}, 'lifeline.json: port'],
      [{ port: '8443' }, {}, 'lifeline.json: port'],
      [{}, { LIFELINE_PORT: 'https' }, 'LIFELINE_PORT'],
      [{ logLevel: 'loud' }, {}, 'lifeline.json: logLevel'],
      [{ prot: 1 }, {}, 'lifeline.json: prot'],
      [{ vcenters: [] }, {}, 'lifeline.json: vcenters'],
      [{ vcenters: { 'vc-1': vc() } }, {}, 'lifeline.json: vcenters.vc-1'],
      [{ vcenters: { [GUID]: vc({ url: 'http://vc' }) } }, {}, `lifeline.json: vcenters.${GUID}.url`],
      [{ vcenters: { [GUID]: vc({ url: 'https://u:p@vc' }) } }, {}, `lifeline.json: vcenters.${GUID}.url`],
      [{ vcenters: { [GUID]: vc({ thumbprint: 'AB:CD' }) } }, {}, `lifeline.json: vcenters.${GUID}.thumbprint`],
      [{ vcenters: { [GUID]: vc({ user: '' }) } }, {}, `lifeline.json: vcenters.${GUID}.user`],
      [{ vcenters: { [GUID]: vc({ password: 'x' }) } }, {}, `lifeline.json: vcenters.${GUID}.password`],
      [{ vcenters: { [GUID]: { url: 'https://vc' } } }, {}, `lifeline.json: vcenters.${GUID}.thumbprint`],
      [{}, { LIFELINE_VCENTER_GUID: GUID }, 'LIFELINE_VCENTER_URL'],
      [{}, { LIFELINE_VCENTER_GUID: GUID, LIFELINE_VCENTER_URL: 'https://vc', LIFELINE_VCENTER_THUMBPRINT: 'zz' }, 'LIFELINE_VCENTER_THUMBPRINT'],
      [{}, { LIFELINE_VCENTER_GUID: 'vc-1' }, 'LIFELINE_VCENTER_GUID'],
    ];
    for (const [file, env, field] of cases) {
      const err = errorOf(() => buildConfig({ cwd: '/', file, env }));
      expect(err.code).withContext(JSON.stringify(file)).toBe('config-invalid');
      expect(err.details['field']).withContext(JSON.stringify({ file, env })).toBe(field);
      expect(err.message.startsWith(`${field}: `)).withContext(err.message).toBeTrue();
    }
  });

  it('points out a SHA-1 thumbprint', () => {
    const sha1 = Array.from({ length: 20 }, () => 'AB').join(':');
    const err = errorOf(() => buildConfig({ cwd: '/', file: { vcenters: { [GUID]: vc({ thumbprint: sha1 }) } } }));
    expect(err.message).toContain('SHA-1');
  });
});

describe('buildConfig hookSets', () => {
  const script = (over: Record<string, unknown> = {}) => ({ command: '/etc/lifeline/hooks/pg-freeze.sh', ...over });
  const withSet = (set: unknown) => ({ hookSets: { postgres: set } });

  it('has none by default', () => {
    expect(buildConfig({ cwd: '/' }).hookSets.size).toBe(0);
  });

  it('reads named sets of pre and post scripts, with a default timeout', () => {
    const c = buildConfig({
      cwd: '/',
      file: {
        hookSets: {
          postgres: { pre: [script({ args: ['main', '--fast'], timeoutSeconds: 120 })], post: [script({ command: '/etc/lifeline/hooks/pg-thaw.sh' })] },
          'mail_01': { post: [script()] },
        },
      },
    });
    expect([...c.hookSets.keys()]).toEqual(['postgres', 'mail_01']);
    expect(c.hookSets.get('postgres')).toEqual({
      name: 'postgres',
      pre: [{ command: '/etc/lifeline/hooks/pg-freeze.sh', args: ['main', '--fast'], timeoutSeconds: 120 }],
      post: [{ command: '/etc/lifeline/hooks/pg-thaw.sh', args: [], timeoutSeconds: 300 }],
    });
    expect(c.hookSets.get('mail_01')?.pre).toEqual([]);
  });

  it('names the field of every mistake in a hook set', () => {
    const F = 'lifeline.json: hookSets';
    const cases: Array<[unknown, string, RegExp]> = [
      [{ hookSets: [] }, F, /JSON object/],
      [{ hookSets: { 'Post Gres': { pre: [script()] } } }, `${F}.Post Gres`, /lower-case/],
      [{ hookSets: { ['x'.repeat(41)]: { pre: [script()] } } }, `${F}.${'x'.repeat(41)}`, /1 to 40/],
      [withSet({}), `${F}.postgres`, /at least one/],
      [withSet({ pre: [script()], during: [] }), `${F}.postgres.during`, /known: pre, post/],
      [withSet({ pre: script() }), `${F}.postgres.pre`, /list/],
      [withSet({ pre: Array.from({ length: 9 }, () => script()) }), `${F}.postgres.pre`, /at most 8/],
      [withSet({ pre: ['/bin/true'] }), `${F}.postgres.pre[0]`, /JSON object/],
      [withSet({ pre: [script({ command: 'hooks/freeze.sh' })] }), `${F}.postgres.pre[0].command`, /absolute path/],
      [withSet({ post: [script(), script({ command: 42 })] }), `${F}.postgres.post[1].command`, /absolute path/],
      [withSet({ pre: [script({ args: 'main' })] }), `${F}.postgres.pre[0].args`, /list/],
      [withSet({ pre: [script({ args: ['main', 5] })] }), `${F}.postgres.pre[0].args[1]`, /string/],
      [withSet({ pre: [script({ timeoutSeconds: 0 })] }), `${F}.postgres.pre[0].timeoutSeconds`, /1 to 3600/],
      [withSet({ pre: [script({ timeoutSeconds: 3601 })] }), `${F}.postgres.pre[0].timeoutSeconds`, /1 to 3600/],
      [withSet({ pre: [script({ timeoutSeconds: '60' })] }), `${F}.postgres.pre[0].timeoutSeconds`, /integer/],
      [withSet({ pre: [script({ timeout: 60 })] }), `${F}.postgres.pre[0].timeout`, /known: command, args, timeoutSeconds/],
      [withSet({ pre: [script({ env: { PGPASSWORD: 'x' } })] }), `${F}.postgres.pre[0].env`, /file of its own/],
    ];
    for (const [file, field, message] of cases) {
      const err = errorOf(() => buildConfig({ cwd: '/', file }));
      expect(err.details['field']).withContext(JSON.stringify(file)).toBe(field);
      expect(err.message).withContext(err.message).toMatch(message);
      expect(err.message.startsWith(`${field}: `)).withContext(err.message).toBeTrue();
    }
  });

  it('never repeats a value given for env in its message', () => {
    const err = errorOf(() => buildConfig({ cwd: '/', file: withSet({ pre: [script({ env: { PGPASSWORD: 'hunter2' } })] }) }));
    expect(err.message).not.toContain('hunter2');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses <data dir>/lifeline.json when present, and runs without any file', async () => {
    const none = await loadConfig({ flags: { dataDir: join(dir, 'data') }, env: {}, cwd: dir });
    expect(none.configFile).toBeNull();
    expect(none.dataDir).toBe(join(dir, 'data'));

    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'lifeline.json'), JSON.stringify({ port: 9000 }));
    const found = await loadConfig({ flags: { dataDir: 'data' }, env: {}, cwd: dir });
    expect(found.configFile).toBe(join(dir, 'data', 'lifeline.json'));
    expect(found.port).toBe(9000);
    const overridden = await loadConfig({ flags: { dataDir: 'data' }, env: { LIFELINE_PORT: '9001' }, cwd: dir });
    expect(overridden.port).toBe(9001);
  });

  it('requires a file named by --config or LIFELINE_CONFIG', async () => {
    await expectAsync(loadConfig({ flags: { config: 'missing.json' }, env: {}, cwd: dir })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'config-invalid', details: { field: '--config' } }),
    );
    await expectAsync(loadConfig({ env: { LIFELINE_CONFIG: 'missing.json' }, cwd: dir })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'config-invalid', details: { field: 'LIFELINE_CONFIG' } }),
    );
  });

  it('checks at start-up that every hook script exists, is executable and is not writable by everyone', async () => {
    const good = join(dir, 'freeze.sh');
    await writeFile(good, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const file = join(dir, 'lifeline.json');
    const load = async (command: string) => {
      await writeFile(file, JSON.stringify({ hookSets: { pg: { pre: [{ command: good }], post: [{ command }] } } }));
      return loadConfig({ flags: { config: file }, env: {}, cwd: dir });
    };
    const field = `${file}: hookSets.pg.post[0].command`;

    expect((await load(good)).hookSets.get('pg')?.post[0]?.command).toBe(good);

    await expectAsync(load(join(dir, 'missing.sh'))).toBeRejectedWith(
      jasmine.objectContaining({ code: 'config-invalid', details: { field }, message: `${field}: ${join(dir, 'missing.sh')} does not exist` }),
    );

    const plain = join(dir, 'thaw.sh');
    await writeFile(plain, '#!/bin/sh\n', { mode: 0o644 });
    await expectAsync(load(plain)).toBeRejectedWith(jasmine.objectContaining({ details: { field }, message: jasmine.stringContaining('not executable') }));

    await expectAsync(load(dir)).toBeRejectedWith(jasmine.objectContaining({ details: { field }, message: jasmine.stringContaining('not a file') }));

    await chmod(plain, 0o757);
    await expectAsync(load(plain)).toBeRejectedWith(jasmine.objectContaining({ details: { field }, message: jasmine.stringContaining('writable by every user') }));

    await chmod(plain, 0o775);
    await expectAsync(load(plain)).toBeRejectedWith(jasmine.objectContaining({ details: { field }, message: jasmine.stringContaining('writable by its group') }));
    await chmod(plain, 0o755);
    await chown(plain, 65534, 65534);
    await expectAsync(load(plain)).toBeRejectedWith(jasmine.objectContaining({ details: { field }, message: jasmine.stringContaining('owned by user 65534') }));
    await chown(plain, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    await chmod(dir, 0o770);
    await expectAsync(load(plain)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/the directory .* is writable by its group/) }));
    await chmod(dir, 0o700);
    expect((await load(plain)).hookSets.get('pg')?.post[0]?.command).toBe(plain);
  });

  it('reports a file that is not JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "port": 1,');
    await expectAsync(loadConfig({ flags: { config: file }, env: {}, cwd: dir })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'config-invalid', details: { field: file } }),
    );
  });
});

describe('buildConfig maintenance', () => {
  const fieldOf = (file: unknown): string => {
    try {
      buildConfig({ cwd: '/', file, filePath: '/etc/lifeline/lifeline.json' });
      return 'accepted';
    } catch (err) {
      return err instanceof ConfigError ? String(err.details['field']) : String(err);
    }
  };

  it('runs daily at 03:00 server time and verifies 4 % by default', () => {
    expect(buildConfig({ cwd: '/' }).maintenance).toEqual({ enabled: true, at: { hour: 3, minute: 0 }, verifyPercent: 4 });
  });

  it('reads the time of day, the verify share and whether it runs at all', () => {
    const c = buildConfig({ cwd: '/', file: { maintenance: { at: '23:05', verifyPercent: 12.5 } } });
    expect(c.maintenance).toEqual({ enabled: true, at: { hour: 23, minute: 5 }, verifyPercent: 12.5 });
    expect(buildConfig({ cwd: '/', file: { maintenance: { enabled: false } } }).maintenance.enabled).toBe(false);
  });

  it('names the setting that is wrong', () => {
    expect(fieldOf({ maintenance: { at: '3:00' } })).toBe('/etc/lifeline/lifeline.json: maintenance.at');
    expect(fieldOf({ maintenance: { at: '24:00' } })).toBe('/etc/lifeline/lifeline.json: maintenance.at');
    expect(fieldOf({ maintenance: { verifyPercent: 0 } })).toBe('/etc/lifeline/lifeline.json: maintenance.verifyPercent');
    expect(fieldOf({ maintenance: { verifyPercent: 101 } })).toBe('/etc/lifeline/lifeline.json: maintenance.verifyPercent');
    expect(fieldOf({ maintenance: { enabled: 'yes' } })).toBe('/etc/lifeline/lifeline.json: maintenance.enabled');
    expect(fieldOf({ maintenance: { every: 'day' } })).toBe('/etc/lifeline/lifeline.json: maintenance.every');
    expect(fieldOf({ maintenance: [] })).toBe('/etc/lifeline/lifeline.json: maintenance');
    expect(fieldOf({ maintenance: { at: '00:00', verifyPercent: 100, enabled: true } })).toBe('accepted');
  });
});

describe('buildConfig jobLimits', () => {
  const fieldOf = (file: unknown): string => {
    try {
      buildConfig({ cwd: '/', file, filePath: '/etc/lifeline/lifeline.json' });
      return 'accepted';
    } catch (err) {
      return err instanceof ConfigError ? String(err.details['field']) : String(err);
    }
  };

  it('runs 4 jobs at once, 2 per datastore and 4 per host, with 10,000 waiting at most, by default, and reads each limit', () => {
    expect(buildConfig({ cwd: '/' }).jobLimits).toEqual({ global: 4, perDatastore: 2, perHost: 4, queued: 10_000 });
    expect(buildConfig({ cwd: '/', file: { jobLimits: { global: 16, perHost: 3, queued: 50 } } }).jobLimits).toEqual({ global: 16, perDatastore: 2, perHost: 3, queued: 50 });
  });

  it('names the limit that is wrong', () => {
    expect(fieldOf({ jobLimits: { global: 0 } })).toBe('/etc/lifeline/lifeline.json: jobLimits.global');
    expect(fieldOf({ jobLimits: { perDatastore: 2.5 } })).toBe('/etc/lifeline/lifeline.json: jobLimits.perDatastore');
    expect(fieldOf({ jobLimits: { perHost: 1001 } })).toBe('/etc/lifeline/lifeline.json: jobLimits.perHost');
    expect(fieldOf({ jobLimits: { queued: 0 } })).toBe('/etc/lifeline/lifeline.json: jobLimits.queued');
    expect(fieldOf({ jobLimits: { perVm: 1 } })).toBe('/etc/lifeline/lifeline.json: jobLimits.perVm');
    expect(fieldOf({ jobLimits: 4 })).toBe('/etc/lifeline/lifeline.json: jobLimits');
  });
});

describe('buildConfig storeReserveGiB', () => {
  const GiB = 1024 ** 3;
  const fieldOf = (input: { file?: unknown; env?: Record<string, string> }): string => {
    try {
      buildConfig({ cwd: '/', filePath: '/etc/lifeline/lifeline.json', ...input });
      return 'accepted';
    } catch (err) {
      return err instanceof ConfigError ? String(err.details['field']) : String(err);
    }
  };

  it('keeps 2 GiB free by default, and takes GiB (fractions too) from the file or the environment, the environment first', () => {
    expect(buildConfig({ cwd: '/' }).storeReserveBytes).toBe(2 * GiB);
    expect(buildConfig({ cwd: '/', file: { storeReserveGiB: 0.5 } }).storeReserveBytes).toBe(GiB / 2);
    expect(buildConfig({ cwd: '/', file: { storeReserveGiB: 0 } }).storeReserveBytes).toBe(0);
    expect(buildConfig({ cwd: '/', file: { storeReserveGiB: 10 }, env: { LIFELINE_STORE_RESERVE_GIB: '25' } }).storeReserveBytes).toBe(25 * GiB);
  });

  it('reads storeS3: the bucket and prefix from its url, paths relative to the file, path-style and Object Lock by default', () => {
    expect(buildConfig({ cwd: '/' }).storeS3).toBeNull();
    const c = buildConfig({
      cwd: '/',
      filePath: '/etc/lifeline/lifeline.json',
      file: { storeS3: { url: 's3://backups/site-a/lifeline/', endpoint: 'https://ceph.example:7480/', credentialsFile: 's3.json', caFile: '/etc/ssl/ceph-ca.pem' } },
    });
    expect(c.storeS3).toEqual({
      bucket: 'backups',
      prefix: 'site-a/lifeline/',
      endpoint: 'https://ceph.example:7480',
      region: 'us-east-1',
      forcePathStyle: true,
      caFile: '/etc/ssl/ceph-ca.pem',
      credentialsFile: '/etc/lifeline/s3.json',
      requireObjectLock: true,
    });
    expect(buildConfig({ cwd: '/', file: { storeS3: { url: 's3://b0x', virtualHosted: true, requireObjectLock: false, region: 'eu-west-1' } } }).storeS3).toEqual({
      bucket: 'b0x',
      prefix: '',
      region: 'eu-west-1',
      forcePathStyle: false,
      requireObjectLock: false,
    });
    expect(fieldOf({ file: { storeS3: { url: 's3://Upper/x' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.url');
    expect(fieldOf({ file: { storeS3: { url: 's3://ok/../x' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.url');
    expect(fieldOf({ file: { storeS3: {} } })).toBe('/etc/lifeline/lifeline.json: storeS3.url');
    expect(fieldOf({ file: { storeS3: { url: 's3://okay', endpoint: 'ftp://x' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.endpoint');
    expect(fieldOf({ file: { storeS3: { url: 's3://okay', secretAccessKey: 'x' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.secretAccessKey');
    expect(fieldOf({ file: { storeS3: { url: 's3://okay', requireObjectLock: 'yes' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.requireObjectLock');
    // copyS3, where copies of restore points go, is read the same way.
    expect(buildConfig({ cwd: '/' }).copyS3).toBeNull();
    expect(buildConfig({ cwd: '/', file: { copyS3: { url: 's3://archive/lifeline/', endpoint: 'https://ceph.example:7480' } } }).copyS3).toEqual(
      jasmine.objectContaining({ bucket: 'archive', prefix: 'lifeline/', endpoint: 'https://ceph.example:7480', requireObjectLock: true }),
    );
    expect(fieldOf({ file: { copyS3: { url: 's3://okay', bucket: 'x' } } })).toBe('/etc/lifeline/lifeline.json: copyS3.bucket');
    // An endpoint pinned by its certificate's thumbprint instead of a CA.
    const pin = 'ab'.repeat(32);
    expect(buildConfig({ cwd: '/', file: { storeS3: { url: 's3://okay', certSha256: pin } } }).storeS3?.certSha256).toBe(('AB:'.repeat(32)).slice(0, -1));
    expect(fieldOf({ file: { storeS3: { url: 's3://okay', certSha256: 'ab'.repeat(20) } } })).toBe('/etc/lifeline/lifeline.json: storeS3.certSha256');
    expect(fieldOf({ file: { storeS3: { url: 's3://okay', certSha256: pin, caFile: 'ca.pem' } } })).toBe('/etc/lifeline/lifeline.json: storeS3.certSha256');
  });

  it('names the setting that is wrong', () => {
    expect(fieldOf({ file: { storeReserveGiB: -1 } })).toBe('/etc/lifeline/lifeline.json: storeReserveGiB');
    expect(fieldOf({ file: { storeReserveGiB: '2' } })).toBe('/etc/lifeline/lifeline.json: storeReserveGiB');
    expect(fieldOf({ env: { LIFELINE_STORE_RESERVE_GIB: 'two' } })).toBe('LIFELINE_STORE_RESERVE_GIB');
    expect(fieldOf({ env: { LIFELINE_STORE_RESERVE_GIB: '-3' } })).toBe('LIFELINE_STORE_RESERVE_GIB');
  });
});

describe('buildConfig site', () => {
  const site = (file?: unknown, env: Record<string, string> = {}, hostname?: string) =>
    buildConfig({ cwd: '/srv', env, ...(file === undefined ? {} : { file: { site: file }, filePath: '/etc/lifeline/lifeline.json' }), ...(hostname ? { hostname } : {}) }).site;

  it('listens on 8543 at the server\'s host, named after the machine, by default', () => {
    expect(site()).toEqual({ host: '127.0.0.1', port: 8543, name: 'lifeline', url: null });
    expect(site(undefined, { LIFELINE_HOST: '10.0.0.5' }, 'dr1.example.com')).toEqual({ host: '10.0.0.5', port: 8543, name: 'dr1', url: null });
    // A host name that is no site name falls back to "lifeline".
    expect(site(undefined, {}, '_odd').name).toBe('lifeline');
  });

  it('reads host, port and name from the file, the environment first', () => {
    expect(site({ host: '0.0.0.0', port: 9543, name: 'prod-a', url: 'https://prod-a.example.com:9543/' })).toEqual({ host: '0.0.0.0', port: 9543, name: 'prod-a', url: 'https://prod-a.example.com:9543' });
    expect(site({ port: 9543, name: 'prod-a' }, { LIFELINE_SITE_PORT: '0', LIFELINE_SITE_NAME: 'dr.b', LIFELINE_SITE_HOST: '::1' })).toEqual({ host: '::1', port: 0, name: 'dr.b', url: null });
  });

  it('names the setting that is wrong', () => {
    const cases: Array<[unknown, Record<string, string>, string]> = [
      [{ port: 70000 }, {}, '/etc/lifeline/lifeline.json: site.port'],
      [{ port: '8543' }, {}, '/etc/lifeline/lifeline.json: site.port'],
      [{ name: 'site b' }, {}, '/etc/lifeline/lifeline.json: site.name'],
      [{ host: 'a/b' }, {}, '/etc/lifeline/lifeline.json: site.host'],
      [{ url: 'http://x' }, {}, '/etc/lifeline/lifeline.json: site.url'],
      [{ url: 'https://x/site/v1' }, {}, '/etc/lifeline/lifeline.json: site.url'],
      [{ address: 'https://x' }, {}, '/etc/lifeline/lifeline.json: site.address'],
      ['8543', {}, '/etc/lifeline/lifeline.json: site'],
      [undefined, { LIFELINE_SITE_PORT: 'x' }, 'LIFELINE_SITE_PORT'],
      [undefined, { LIFELINE_SITE_NAME: '-x' }, 'LIFELINE_SITE_NAME'],
    ];
    for (const [file, env, field] of cases) expect(errorOf(() => site(file, env)).details['field']).withContext(JSON.stringify(file ?? env)).toBe(field);
  });
});

describe('buildConfig nfs', () => {
  const fieldOf = (file: unknown): string => {
    try {
      buildConfig({ cwd: '/', file, filePath: '/etc/lifeline/lifeline.json' });
      return 'accepted';
    } catch (err) {
      return err instanceof ConfigError ? String(err.details['field']) : String(err);
    }
  };

  it('has no NFS server unless configured, and fills in the defaults of one', () => {
    expect(buildConfig({ cwd: '/' }).nfs).toBeNull();
    expect(buildConfig({ cwd: '/', file: { nfs: { host: '10.0.0.5', clients: ['10.0.0.11', 'fe80::1'] } } }).nfs).toEqual({
      host: '10.0.0.5',
      port: 2049,
      portmapperPort: null,
      clients: ['10.0.0.11', 'fe80::1'],
      exportPath: '/lifeline',
      cacheChunks: 32,
      readAheadChunks: 6,
    });
    expect(buildConfig({ cwd: '/', file: { nfs: { host: '10.0.0.5', clients: ['10.0.0.11'], port: 12049, portmapperPort: 111, exportPath: '/dr/lifeline' } } }).nfs).toEqual(
      jasmine.objectContaining({ port: 12049, portmapperPort: 111, exportPath: '/dr/lifeline' }),
    );
  });

  it('names the NFS setting that is wrong', () => {
    const f = '/etc/lifeline/lifeline.json: nfs';
    expect(fieldOf({ nfs: { clients: ['10.0.0.11'] } })).toBe(`${f}.host`);
    expect(fieldOf({ nfs: { host: 'nfs.example.com', clients: ['10.0.0.11'] } })).toBe(`${f}.host`);
    expect(fieldOf({ nfs: { host: '10.0.0.5' } })).toBe(`${f}.clients`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: [] } })).toBe(`${f}.clients`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: ['10.0.0.0/24'] } })).toBe(`${f}.clients[0]`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: ['10.0.0.11'], port: 70000 } })).toBe(`${f}.port`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: ['10.0.0.11'], exportPath: '/a/../etc' } })).toBe(`${f}.exportPath`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: ['10.0.0.11'], exportPath: 'lifeline' } })).toBe(`${f}.exportPath`);
    expect(fieldOf({ nfs: { host: '10.0.0.5', clients: ['10.0.0.11'], udp: true } })).toBe(`${f}.udp`);
  });
});
