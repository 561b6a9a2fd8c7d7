// The plugin manifest as shipped, checked against the UI's real routes and the icon files, and
// proof that the checker catches each kind of mistake the vSphere Client would punish.
import { checkPluginManifest, renderPluginManifest, type ManifestProblemKind, type MessageTable } from '../../plugin-server/src/registration/index.js';
import { manifestAssetExists, readManifestSource, servedManifest, type ManifestSource } from '../../plugin-server/src/api/plugin-files.js';
import { VM_DYNAMIC_ITEMS, VM_DYNAMIC_ITEMS_URI } from '../../plugin-server/src/api/routes/capabilities.js';
import { MANIFEST_DIR, parseRoutePaths, uiRoutes } from './ui-routes.js';

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
    expect(kindsOf((m) => (sprite(m)['uri'] = 'icons/missing.svg'))).toEqual(['icon-missing']);
    expect(kindsOf((m) => (((sprite(m)['themeOverrides'] as Json)['dark'] as Json)['uri'] = 'icons/missing-dark.svg'))).toEqual(['icon-missing']);
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
    expect(((served['definitions'] as Json)['iconSpriteSheet'] as Json)['uri']).toBe('icons/lifeline-sprites.svg');
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
});
