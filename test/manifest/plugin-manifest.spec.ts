// The plugin manifest as shipped, checked against the UI's real routes and the icon files, and
// proof that the checker catches each kind of mistake the vSphere Client would punish.
import { checkPluginManifest, renderPluginManifest, type ManifestProblemKind, type MessageTable } from '../../plugin-server/src/registration/index.js';
import { manifestAssetExists, readManifestSource, servedManifest, type ManifestSource } from '../../plugin-server/src/api/plugin-files.js';
import { VM_DYNAMIC_ITEMS, VM_DYNAMIC_ITEMS_URI } from '../../plugin-server/src/api/routes/capabilities.js';
import { MANIFEST_DIR, parseRoutePaths, uiRoutes } from './ui-routes.js';
import { vsphereSchemaErrors } from './vsphere-manifest-schema.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

describe('plugin manifest', () => {
  let source: ManifestSource;
  let routes: string[];

  beforeAll(async () => {
    source = await readManifestSource(MANIFEST_DIR);
    routes = await uiRoutes();
  });

  /** The problem kinds a changed copy of the shipped manifest has. */
  function kindsOf(change: (m: Json, messages: Record<string, Record<string, string>>) => void): ManifestProblemKind[] {
    const manifest = structuredClone(source.manifest);
    const messages = structuredClone(source.messages) as Record<string, Record<string, string>>;
    change(manifest, messages);
    return checkPluginManifest({ manifest, messages, routes, assetExists: manifestAssetExists(MANIFEST_DIR) }).map((p) => p.kind);
  }
  const vm = (m: Json): Json => (m['objects'] as Json)['VirtualMachine'] as Json;
  const firstConfigureView = (m: Json): Json => ((vm(m)['configure'] as Json)['views'] as Json[])[0]!;

  it('reads the UI routes from the route table', () => {
    expect(routes).toContain('vm/protection');
    expect(routes).toContain('global/dashboard');
    expect(routes).not.toContain('**');
    expect(parseRoutePaths(`[{ path: 'a/b' }, // { path: 'old' }\n { path: '**' }, { path: "" }]`)).toEqual(['a/b']);
  });

  it('is valid as shipped: known keys, defined labels, routed views, existing icons', () => {
    const problems = checkPluginManifest({ manifest: source.manifest, messages: source.messages, routes, assetExists: manifestAssetExists(MANIFEST_DIR) });
    expect(problems).toEqual([]);
    expect(source.manifest['manifestVersion']).toBe('1.2.0');
  });

  it('ships the VM views and actions, each on the route of its view', () => {
    const views = (group: string): string[][] =>
      (((vm(source.manifest)[group] as Json)['views'] as Json[]) ?? []).map((v) => [v['navigationId'] as string, v['uri'] as string]);
    expect(views('configure')).toEqual([['lifeline.vm.protection', 'index.html#/vm/protection']]);
    expect(views('monitor')).toEqual([
      ['lifeline.vm.backups', 'index.html#/vm/backups'],
      ['lifeline.vm.attachedDisks', 'index.html#/vm/attached-disks'],
    ]);
    const actions = ((vm(source.manifest)['menu'] as Json)['actions'] as Json[]).map((a) => [a['id'], (a['trigger'] as Json)['type'], (a['trigger'] as Json)['uri']]);
    expect(actions).toEqual([
      ['lifeline.vm.backupNow', 'modal', 'index.html#/vm/backup-now'],
      ['lifeline.vm.recover', 'modal', 'index.html#/vm/recover'],
      ['lifeline.vm.cloneAttach', 'modal', 'index.html#/vm/clone-attach'],
    ]);
    // One global view; its pages (protected VMs, policies, jobs, audit) are tabs inside it.
    expect(((source.manifest['global'] as Json)['view'] as Json)['uri']).toBe('index.html#/global/dashboard');
  });

  it('hides the restore actions and back up now from users without their privilege (dynamic items)', () => {
    const menu = vm(source.manifest)['menu'] as Json;
    expect(menu['dynamicUri']).toBe(VM_DYNAMIC_ITEMS_URI);
    expect((source.manifest['requirements'] as Json)['plugin.dynamic.extensions']).toBe('1.0.0');
    const dynamic = (menu['actions'] as Json[]).filter((a) => a['dynamic'] === true).map((a) => a['id']);
    expect(dynamic).toEqual(['lifeline.vm.backupNow', 'lifeline.vm.recover', 'lifeline.vm.cloneAttach']);
    // The server answers for exactly these ids, with the privilege each action's routes check.
    expect(Object.keys(VM_DYNAMIC_ITEMS)).toEqual(dynamic as string[]);
    expect(VM_DYNAMIC_ITEMS).toEqual({ 'lifeline.vm.backupNow': 'protect', 'lifeline.vm.recover': 'restore', 'lifeline.vm.cloneAttach': 'restore' });
    // Served as written: relative to plugin.json, not moved below the UI folder like view URIs.
    expect((vm(servedManifest(source, routes))['menu'] as Json)['dynamicUri']).toBe(VM_DYNAMIC_ITEMS_URI);
  });

  it('catches a dynamic item nobody can be asked about, and a dynamicUri outside the plugin', () => {
    const menu = (m: Json): Json => vm(m)['menu'] as Json;
    expect(kindsOf((m) => delete menu(m)['dynamicUri'])).toEqual(['dynamic-uri-missing', 'dynamic-uri-missing', 'dynamic-uri-missing']);
    expect(kindsOf((m) => delete (m['requirements'] as Json)['plugin.dynamic.extensions'])).toEqual(['dynamic-unsupported']);
    expect(kindsOf((m) => ((m['requirements'] as Json)['plugin.dynamic.extensions'] = '2.0.0'))).toEqual(['wrong-type']);
    expect(kindsOf((m) => (firstConfigureView(m)['dynamic'] = true))).toEqual(['dynamic-uri-missing']);
    expect(kindsOf((m) => ((vm(m)['configure'] as Json)['dynamicUri'] = 'dynamic-items/vm'))).toEqual([]);
    expect(kindsOf((m) => (menu(m)['dynamicUri'] = '/api/v1/ui/dynamic-items/vm'))).toEqual(['uri-invalid']);
    expect(kindsOf((m) => (menu(m)['dynamicUri'] = '../dynamic-items/vm'))).toEqual(['uri-invalid']);
    expect(kindsOf((m) => (menu(m)['dynamicUri'] = 'https://elsewhere.example/dynamic'))).toEqual(['uri-invalid']);
    expect(kindsOf((m) => (menu(m)['dynamicUri'] = 'dynamic-items/vm?all=1'))).toEqual(['uri-invalid']);
    expect(kindsOf((m) => (menu(m)['dynamicUri'] = { path: 'dynamic-items/vm', serverType: 'LIFELINE' }))).toEqual(['wrong-type']);
    expect(kindsOf((m) => (vm(m)['summary'] = { dynamicUri: 'dynamic-items/vm', view: { uri: 'index.html#/vm/protection', dynamic: true } }))).toEqual(['missing-key']);
    expect(kindsOf((m) => (vm(m)['summary'] = { dynamicUri: 'dynamic-items/vm', view: { id: 'lifeline.vm.card', uri: 'index.html#/vm/protection', dynamic: true } }))).toEqual([]);
    expect(kindsOf((m) => (menu(m)['dynamicUris'] = 'dynamic-items/vm'))).toEqual(['unknown-key']);
  });

  it('catches an unknown key, at the top and deep inside', () => {
    expect(kindsOf((m) => (m['version'] = '0.1.0.0'))).toEqual(['unknown-key']);
    expect(kindsOf((m) => (firstConfigureView(m)['label'] = 'Protection'))).toEqual(['unknown-key']);
    expect(kindsOf((m) => (vm(m)['tabs'] = {}))).toEqual(['unknown-key']);
  });

  it('catches a labelKey the en-US strings do not define', () => {
    expect(kindsOf((_m, messages) => delete messages['en-US']!['vm.configure.protection'])).toEqual(['label-undefined']);
    expect(kindsOf((m) => (firstConfigureView(m)['labelKey'] = 'vm.configure.nothing'))).toEqual(['label-undefined']);
    expect(kindsOf((m) => delete firstConfigureView(m)['labelKey'])).toEqual(['missing-key']);
  });

  it('catches a view uri the UI does not route, or one without hash routing', () => {
    expect(kindsOf((m) => (firstConfigureView(m)['uri'] = 'index.html#/vm/replication'))).toEqual(['uri-unrouted']);
    expect(kindsOf((m) => (firstConfigureView(m)['uri'] = 'index.html/vm/protection'))).toEqual(['uri-invalid']);
    expect(kindsOf((m) => (firstConfigureView(m)['uri'] = 'https://elsewhere.example/index.html#/vm/protection'))).toEqual(['uri-invalid']);
  });

  it('catches a menu action that does not open a modal, and accepts one that does', () => {
    const action = (type: string): Json => ({
      id: 'lifeline.vm.backupNow',
      labelKey: 'vm.configure.protection',
      icon: { name: 'lifeline' },
      trigger: { type, uri: 'index.html#/vm/protection', titleKey: 'plugin.name', size: { width: 600, height: 300 } },
    });
    expect(kindsOf((m) => (vm(m)['menu'] = { actions: [action('modal')] }))).toEqual([]);
    expect(kindsOf((m) => (vm(m)['menu'] = { actions: [action('navigate')] }))).toEqual(['trigger-not-modal']);
  });

  it('catches icons that are not defined or whose file is missing', () => {
    const sprite = (m: Json): Json => (m['definitions'] as Json)['iconSpriteSheet'] as Json;
    expect(kindsOf((m) => ((m['configuration'] as Json)['icon'] = { name: 'nothing' }))).toEqual(['icon-undefined']);
    expect(kindsOf((m) => (sprite(m)['uri'] = 'icons/missing.png'))).toEqual(['icon-missing']);
    expect(kindsOf((m) => (((sprite(m)['themeOverrides'] as Json)['dark'] as Json)['uri'] = 'icons/missing-dark.png'))).toEqual(['icon-missing']);
    expect(kindsOf((m) => (sprite(m)['uri'] = '../package.json'))).toEqual(['uri-invalid']);
  });

  it('catches a wrong manifestVersion, a duplicate navigationId and a locale without strings', () => {
    expect(kindsOf((m) => (m['manifestVersion'] = '1.0.0'))).toEqual(['manifest-version']);
    expect(kindsOf((m) => (firstConfigureView(m)['navigationId'] = 'lifeline.global'))).toEqual(['duplicate-id']);
    expect(kindsOf((m) => (((m['definitions'] as Json)['i18n'] as Json)['locales'] = ['en-US', 'de-DE']))).toEqual(['locale-undefined']);
  });

  it('serves URIs relative to plugin.json and strings in the vSphere layout, leaving the source alone', () => {
    const before = JSON.stringify(source.manifest);
    const served = servedManifest(source, routes);
    expect(JSON.stringify(source.manifest)).toBe(before);
    expect(firstConfigureView(served)['uri']).toBe('ui/index.html#/vm/protection');
    expect(((served['global'] as Json)['view'] as Json)['uri']).toBe('ui/index.html#/global/dashboard');
    const i18n = (served['definitions'] as Json)['i18n'] as Json;
    expect(i18n['locales']).toEqual(['en-US']);
    expect((i18n['definitions'] as Json)['vm.configure.protection']).toEqual({ 'en-US': 'Lifeline protection' });
    expect(((served['definitions'] as Json)['iconSpriteSheet'] as Json)['uri']).toBe('icons/lifeline-sprites.png');
    // What is served passes the same schema (routes are checked on the source, where URIs are UI-relative).
    expect(checkPluginManifest({ manifest: served, messages: source.messages }).filter((p) => p.kind !== 'uri-invalid')).toEqual([]);
  });

  it('fills a string missing in one locale from en-US rather than showing the raw key', () => {
    const messages: Record<string, MessageTable> = { 'en-US': { 'plugin.name': 'Lifeline', x: 'X' }, 'de-DE': { 'plugin.name': 'Lifeline' } };
    const m = structuredClone(source.manifest);
    ((m['definitions'] as Json)['i18n'] as Json)['locales'] = ['en-US', 'de-DE'];
    const i18n = (renderPluginManifest(m, messages, { uiBase: 'ui/' })['definitions'] as Json)['i18n'] as Json;
    expect((i18n['definitions'] as Json)['x']).toEqual({ 'en-US': 'X', 'de-DE': 'X' });
  });

  it("validates, as served, against the JSON Schema written from VMware's manifest schema", () => {
    expect(vsphereSchemaErrors(servedManifest(source, routes))).toEqual([]);
  });

  it('uses a schema that refuses what VMware\'s refuses, so it is not written to fit Lifeline', () => {
    const served = (change: (m: Json) => void): string[] => {
      const m = structuredClone(servedManifest(source, routes));
      change(m);
      return vsphereSchemaErrors(m);
    };
    const requirements = (m: Json): Json => m['requirements'] as Json;
    expect(served((m) => (m['extra'] = true))).toEqual(['/: must NOT have additional properties (extra)']);
    expect(served((m) => (m['manifestVersion'] = '2.0.0')).length).toBe(1);
    expect(served((m) => (requirements(m)['plugin.unknown.flag'] = '1.0.0'))).toEqual(['/requirements: must NOT have additional properties (plugin.unknown.flag)']);
    expect(served((m) => (requirements(m)['vcenter.server'] = { version: '7.0 U1', environments: ['onprem'] })).length).toBe(1);
    expect(served((m) => (requirements(m)['vsphere.client'] = { version: '[7.0.1,)', environments: ['datacenter'] })).length).toBe(1);
    expect(served((m) => (((m['definitions'] as Json)['i18n'] as Json)['locales'] = ['en']))).toEqual(['/definitions/i18n/locales/0: must match pattern "^[a-z]{2}-[A-Z]{2}$"']);
    expect(served((m) => (((m['definitions'] as Json)['iconSpriteSheet'] as Json)['definitions'] = { lifeline: { x: -32, y: 0 } })).length).toBe(1);
    expect(served((m) => delete (m['configuration'] as Json)['nameKey']).length).toBe(1);
  });

  it("declares the requirements of what it uses: 7.0 U1+ (dynamic items), getPluginBackendInfo, the proxied origin and dark icons", () => {
    const r = source.manifest['requirements'] as Json;
    for (const key of ['vsphere.client', 'vcenter.server']) {
      const constraint = r[key] as Json;
      const lowest = /^\[\s*(\d+(?:\.\d+){0,3})\s*,/.exec(String(constraint['version']))?.[1] ?? '';
      const [major = 0, minor = 0, patch = 0] = lowest.split('.').map(Number);
      expect(major * 10000 + minor * 100 + patch).withContext(key).toBeGreaterThanOrEqual(70001);
      expect(constraint['environments']).withContext(key).toEqual(['onprem']);
    }
    expect(r['plugin.dynamic.extensions']).toBe('1.0.0');
    expect(r['plugin.backend.info.api']).toBe('1.0.0');
    expect(r['proxied.plugin.server.origin.api']).toBe('1.0.0');
    expect(r['icon.sprite.sheet.theming']).toBe('1.0.0');
  });

  it('accepts every requirement key of the schema, so the server starts with any of them', () => {
    expect(
      kindsOf((m) => {
        m['requirements'] = {
          'plugin.api.version': '1.2.0',
          'vsphere.client': { version: '[7.0,)', environments: ['onprem', 'gateway', 'cloud'] },
          'vcenter.server': { version: '7.0.3', environments: ['onprem', 'cloud'] },
          'confirmation.modal.api': '1.0.0',
          'proxied.plugin.server.origin.api': '1.0.0',
          'icon.sprite.sheet.theming': '1.0.0',
          'plugin.backend.info.api': '1.0.0',
          'action.accepts.multiple.targets': true,
          'plugin.dynamic.extensions': '1.0.0',
        };
      }),
    ).toEqual([]);
    expect(kindsOf((m) => ((m['requirements'] as Json)['vcenter.server'] = { version: 'seven' }))).toEqual(['wrong-type']);
    expect(kindsOf((m) => ((m['requirements'] as Json)['plugin.unknown.flag'] = '1.0.0'))).toEqual(['unknown-key']);
  });

  it('ships its icons as PNG sprite sheets of 32x32 tiles, light and dark alike', () => {
    const sheet = (source.manifest['definitions'] as Json)['iconSpriteSheet'] as Json;
    const coords = Object.values(sheet['definitions'] as Record<string, { x: number; y: number }>);
    const files = [sheet['uri'] as string, ...Object.values(sheet['themeOverrides'] as Record<string, Json>).map((o) => o['uri'] as string)];
    expect(files).toEqual(['icons/lifeline-sprites.png', 'icons/lifeline-sprites-dark.png']);
    for (const file of files) {
      const png = readFileSync(join(MANIFEST_DIR, file));
      expect(png.subarray(0, 8).toString('hex')).withContext(file).toBe('89504e470d0a1a0a');
      expect(png.subarray(12, 16).toString('latin1')).withContext(file).toBe('IHDR');
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      expect([width % 32, height % 32]).withContext(`${file} is ${width}x${height}`).toEqual([0, 0]);
      for (const { x, y } of coords) {
        expect([x % 32, y % 32]).withContext(`${file} tile at ${x},${y}`).toEqual([0, 0]);
        expect(x + 32 <= width && y + 32 <= height).withContext(`${file} tile at ${x},${y}`).toBeTrue();
      }
    }
  });
});
