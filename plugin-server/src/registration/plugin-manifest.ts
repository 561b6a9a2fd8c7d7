/**
 * The vSphere Client remote plugin manifest (plugin.json, manifestVersion 1.2.0): checking it and
 * turning the source in manifest/ into what the server serves. Pure, so the same rules run in the
 * manifest suite (with the UI's routes and the icon files) and at server start-up.
 *
 * The vSphere Client rejects a whole plugin for one unknown key, and shows raw keys or empty tabs
 * for a missing label or an unrouted view; those mistakes are caught here instead:
 * - only keys of the 1.2.0 schema that Lifeline uses are allowed (the schema forbids extra keys);
 * - every labelKey / titleKey / nameKey has an en-US string (manifest/i18n/en-US.json);
 * - every view or modal uri is `index.html#/<route>` for a route the UI has;
 * - menu actions open modals (`trigger.type: "modal"`), and icons name sprite-sheet entries whose
 *   files exist;
 * - a view or action marked `dynamic` (vSphere 7.0 U1+ dynamic extensions) sits in a group with a
 *   `dynamicUri` the vSphere Client can ask, relative to plugin.json, and the manifest declares the
 *   `plugin.dynamic.extensions` requirement; a summary view that is dynamic has an `id`;
 * - the requirements are those of the schema (plugin.api.version, vsphere.client and
 *   vcenter.server version/environment constraints, the API and capability flags).
 *
 * Source and served manifest differ in two ways: the source keeps its strings in one flat file per
 * locale (what translators edit), served as `definitions.i18n.definitions` in vSphere's
 * key → locale → string layout; and source URIs are relative to the UI's root, served ones to
 * plugin.json, which sits one folder above the UI.
 */

export const MANIFEST_VERSION = '1.2.0';
/** The locale every key must have: the vSphere Client falls back to it. */
export const REFERENCE_LOCALE = 'en-US';

export type ManifestProblemKind =
  | 'unknown-key'
  | 'missing-key'
  | 'wrong-type'
  | 'manifest-version'
  | 'label-undefined'
  | 'locale-undefined'
  | 'uri-invalid'
  | 'uri-unrouted'
  | 'trigger-not-modal'
  | 'icon-undefined'
  | 'icon-missing'
  | 'duplicate-id'
  | 'dynamic-uri-missing'
  | 'dynamic-unsupported';

export interface ManifestProblem {
  readonly kind: ManifestProblemKind;
  /** Where, as a JSON path: `objects.VirtualMachine.configure.views[0].labelKey`. */
  readonly path: string;
  readonly message: string;
}

/** Strings by key, for one locale. */
export type MessageTable = Readonly<Record<string, string>>;

export interface ManifestCheckInput {
  /** The source manifest (URIs relative to the UI root). */
  readonly manifest: unknown;
  /** Strings by locale, from manifest/i18n/<locale>.json. */
  readonly messages: Readonly<Record<string, MessageTable>>;
  /** The UI's hash routes without the leading `/` (`vm/protection`); omitted: not checked. */
  readonly routes?: readonly string[];
  /** Whether a file named relative to the manifest folder exists; omitted: not checked. */
  readonly assetExists?: (relativePath: string) => boolean;
}

// A small description of the part of the 1.2.0 schema Lifeline uses. `role` marks strings that
// need checks beyond their type.
type Role = 'labelKey' | 'viewUri' | 'iconName' | 'asset' | 'navigationId' | 'actionId' | 'dynamicUri';
type Shape =
  | { readonly t: 'string'; readonly role?: Role; readonly oneOf?: readonly string[]; readonly pattern?: RegExp }
  | { readonly t: 'number' }
  | { readonly t: 'boolean' }
  | { readonly t: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | { readonly t: 'map'; readonly keys?: RegExp; readonly values: Shape }
  | { readonly t: 'array'; readonly items: Shape; readonly minItems?: number };
interface Field {
  readonly shape: Shape;
  readonly required?: boolean;
}

const str = (role?: Role, oneOf?: readonly string[]): Shape => ({ t: 'string', ...(role ? { role } : {}), ...(oneOf ? { oneOf } : {}) });
const req = (shape: Shape): Field => ({ shape, required: true });
const opt = (shape: Shape): Field => ({ shape });
const obj = (fields: Record<string, Field>): Shape => ({ t: 'object', fields });

const ICON = obj({ name: req(str('iconName')) });
const VIEW = obj({ navigationId: req(str('navigationId')), labelKey: req(str('labelKey')), uri: req(str('viewUri')), dynamic: opt({ t: 'boolean' }) });
const ACTION = obj({
  id: req(str('actionId')),
  labelKey: req(str('labelKey')),
  icon: opt(ICON),
  dynamic: opt({ t: 'boolean' }),
  acceptsMultipleTargets: opt({ t: 'boolean' }),
  trigger: req(
    obj({
      type: req(str()),
      uri: req(str('viewUri')),
      titleKey: req(str('labelKey')),
      accessibilityTitleKey: opt(str('labelKey')),
      closable: opt({ t: 'boolean' }),
      size: opt(obj({ width: req({ t: 'number' }), height: req({ t: 'number' }) })),
    }),
  ),
});
// Where the vSphere Client asks which dynamic items of a group to show: a path relative to
// plugin.json on the manifest server. (The schema also allows `{ path, serverType }` for an
// auxiliary server; Lifeline has none, so only the string form is accepted.)
const DYNAMIC_URI = opt(str('dynamicUri'));
const OBJECT_EXTENSIONS = obj({
  summary: opt(obj({ dynamicUri: DYNAMIC_URI, view: req(obj({ id: opt(str('navigationId')), uri: req(str('viewUri')), dynamic: opt({ t: 'boolean' }) })) })),
  monitor: opt(obj({ dynamicUri: DYNAMIC_URI, views: req({ t: 'array', items: VIEW, minItems: 1 }) })),
  configure: opt(obj({ dynamicUri: DYNAMIC_URI, views: req({ t: 'array', items: VIEW, minItems: 1 }) })),
  menu: opt(obj({ dynamicUri: DYNAMIC_URI, actions: req({ t: 'array', items: ACTION, minItems: 1 }) })),
});
const SPRITE_COORDS: Shape = { t: 'map', values: obj({ x: req({ t: 'number' }), y: req({ t: 'number' }) }) };
const LOCALE = /^[a-z]{2}-[A-Z]{2}$/;

// The schema's version or interval of versions, e.g. `7.0.1` or `[7.0.1,)`.
const VERSION_RANGE = /^\s*(([([]\s*(\d+(\.\d+){0,3})?\s*,\s*(\d+(\.\d+){0,3})?\s*[)\]])|\d+(\.\d+){0,3})\s*$/;
const ENVIRONMENT_CONSTRAINT = obj({
  version: opt({ t: 'string', pattern: VERSION_RANGE }),
  environments: opt({ t: 'array', items: str(undefined, ['onprem', 'cloud', 'gateway']) }),
});
const V1 = (): Field => opt(str(undefined, ['1.0.0']));

const MANIFEST: Shape = obj({
  manifestVersion: req(str(undefined, [MANIFEST_VERSION])),
  // Every requirement key VMware's schema text and SDK sample name (the vSphere Client refuses a
  // plugin with a key it does not know, and so does this check).
  requirements: opt(
    obj({
      'plugin.api.version': req(str(undefined, ['1.0.0', '1.0.1', '1.1.0', '1.2.0'])),
      'vsphere.client': opt(ENVIRONMENT_CONSTRAINT),
      'vcenter.server': opt(ENVIRONMENT_CONSTRAINT),
      'confirmation.modal.api': V1(),
      'proxied.plugin.server.origin.api': V1(),
      'icon.sprite.sheet.theming': V1(),
      'plugin.backend.info.api': V1(),
      'action.accepts.multiple.targets': opt({ t: 'boolean' }),
      'plugin.dynamic.extensions': V1(),
    }),
  ),
  configuration: req(obj({ nameKey: req(str('labelKey')), icon: opt(ICON) })),
  global: opt(obj({ view: req(obj({ navigationId: req(str('navigationId')), uri: req(str('viewUri')), navigationVisible: opt({ t: 'boolean' }) })) })),
  objects: opt(
    obj({
      VirtualMachine: opt(OBJECT_EXTENSIONS),
      HostSystem: opt(OBJECT_EXTENSIONS),
      ClusterComputeResource: opt(OBJECT_EXTENSIONS),
      Datacenter: opt(OBJECT_EXTENSIONS),
      Datastore: opt(OBJECT_EXTENSIONS),
    }),
  ),
  definitions: req(
    obj({
      iconSpriteSheet: opt(
        obj({
          uri: req(str('asset')),
          definitions: req(SPRITE_COORDS),
          themeOverrides: opt({ t: 'map', keys: /^(light|dark)$/, values: obj({ uri: req(str('asset')), definitions: opt(SPRITE_COORDS) }) }),
        }),
      ),
      i18n: req(
        obj({
          locales: req({ t: 'array', items: str(), minItems: 1 }),
          definitions: opt({ t: 'map', values: { t: 'map', keys: LOCALE, values: str() } }),
        }),
      ),
    }),
  ),
});

const VIEW_URI = /^index\.html#\/([A-Za-z0-9._~\-/]+)$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every mistake in a source manifest; empty when it is fit to serve. */
export function checkPluginManifest(input: ManifestCheckInput): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const found = {
    labels: [] as Array<[string, string]>,
    uris: [] as Array<[string, string]>,
    icons: [] as Array<[string, string]>,
    assets: [] as Array<[string, string]>,
    dynamicUris: [] as Array<[string, string]>,
  };
  const ids = new Map<string, string>();
  const add = (kind: ManifestProblemKind, path: string, message: string): void => void problems.push({ kind, path, message });

  const walk = (value: unknown, shape: Shape, path: string): void => {
    switch (shape.t) {
      case 'string': {
        if (typeof value !== 'string' || value === '') return add('wrong-type', path, `${path} must be a non-empty string`);
        if (shape.oneOf && !shape.oneOf.includes(value)) {
          return add(path === 'manifestVersion' ? 'manifest-version' : 'wrong-type', path, `${path} must be ${shape.oneOf.map((v) => `"${v}"`).join(' or ')}, not "${value}"`);
        }
        if (shape.pattern && !shape.pattern.test(value)) return add('wrong-type', path, `${path} is not a version or version interval such as "[7.0.1,)": "${value}"`);
        if (shape.role === 'labelKey') found.labels.push([path, value]);
        else if (shape.role === 'viewUri') found.uris.push([path, value]);
        else if (shape.role === 'iconName') found.icons.push([path, value]);
        else if (shape.role === 'asset') found.assets.push([path, value]);
        else if (shape.role === 'dynamicUri') found.dynamicUris.push([path, value]);
        else if (shape.role === 'navigationId' || shape.role === 'actionId') {
          const earlier = ids.get(`${shape.role}:${value}`);
          if (earlier !== undefined) add('duplicate-id', path, `${path} repeats "${value}", already used at ${earlier}`);
          else ids.set(`${shape.role}:${value}`, path);
        }
        return;
      }
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) add('wrong-type', path, `${path} must be a number`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') add('wrong-type', path, `${path} must be true or false`);
        return;
      case 'array':
        if (!Array.isArray(value)) return add('wrong-type', path, `${path} must be an array`);
        if (value.length < (shape.minItems ?? 0)) add('wrong-type', path, `${path} must have at least ${shape.minItems} item(s)`);
        value.forEach((item, i) => walk(item, shape.items, `${path}[${i}]`));
        return;
      case 'map':
        if (!isRecord(value)) return add('wrong-type', path, `${path} must be an object`);
        for (const [k, v] of Object.entries(value)) {
          if (shape.keys && !shape.keys.test(k)) add('unknown-key', `${path}.${k}`, `${path} does not allow the key "${k}"`);
          else walk(v, shape.values, `${path}.${k}`);
        }
        return;
      case 'object': {
        if (!isRecord(value)) return add('wrong-type', path || '(manifest)', `${path || 'the manifest'} must be an object`);
        for (const [k, v] of Object.entries(value)) {
          const at = path ? `${path}.${k}` : k;
          const field = shape.fields[k];
          if (field === undefined) add('unknown-key', at, `unknown key "${k}" in ${path || 'the manifest'}; the vSphere Client rejects a manifest with keys outside its schema`);
          else walk(v, field.shape, at);
        }
        for (const [k, field] of Object.entries(shape.fields)) {
          if (field.required && !(k in value)) add('missing-key', path ? `${path}.${k}` : k, `${path || 'the manifest'} needs "${k}"`);
        }
        return;
      }
    }
  };
  walk(input.manifest, MANIFEST, '');
  if (!isRecord(input.manifest)) return problems;

  checkModalTriggers(input.manifest, add);
  checkDynamicItems(input.manifest, add);
  const definitions = isRecord(input.manifest['definitions']) ? input.manifest['definitions'] : {};
  const i18n = isRecord(definitions['i18n']) ? definitions['i18n'] : {};
  const locales = Array.isArray(i18n['locales']) ? i18n['locales'].filter((l): l is string => typeof l === 'string') : [];
  if (!locales.includes(REFERENCE_LOCALE)) add('locale-undefined', 'definitions.i18n.locales', `definitions.i18n.locales must include ${REFERENCE_LOCALE}`);
  for (const locale of locales) {
    if (!LOCALE.test(locale)) add('wrong-type', 'definitions.i18n.locales', `"${locale}" is not a locale like en-US`);
    else if (input.messages[locale] === undefined) add('locale-undefined', 'definitions.i18n.locales', `locale ${locale} has no i18n/${locale}.json`);
  }
  for (const [path, key] of found.labels) {
    for (const locale of locales) {
      const table = input.messages[locale];
      if (table !== undefined && !(typeof table[key] === 'string' && table[key] !== '')) {
        add('label-undefined', path, `${path} names "${key}", which i18n/${locale}.json does not define`);
      }
    }
  }

  const routes = input.routes === undefined ? null : new Set(input.routes.map((r) => r.replace(/^\/+|\/+$/g, '')));
  for (const [path, uri] of found.uris) {
    const m = VIEW_URI.exec(uri);
    if (!m) add('uri-invalid', path, `${path} must be index.html#/<route> (the UI uses hash routing), not "${uri}"`);
    else if (routes !== null && !routes.has(m[1]!.replace(/\/+$/, ''))) add('uri-unrouted', path, `${path} opens #/${m[1]}, which the UI does not route`);
  }

  const sprite = isRecord(definitions['iconSpriteSheet']) ? definitions['iconSpriteSheet'] : null;
  const spriteNames = new Set(sprite && isRecord(sprite['definitions']) ? Object.keys(sprite['definitions']) : []);
  for (const [path, name] of found.icons) {
    if (!spriteNames.has(name)) add('icon-undefined', path, `${path} names the icon "${name}", which definitions.iconSpriteSheet.definitions does not define`);
  }
  for (const [path, uri] of found.assets) {
    if (!isInsideManifestFolder(uri)) add('uri-invalid', path, `${path} must be a path inside the manifest folder, not "${uri}"`);
    else if (input.assetExists && !input.assetExists(uri)) add('icon-missing', path, `${path} names ${uri}, which does not exist`);
  }
  for (const [path, uri] of found.dynamicUris) {
    // Resolved against plugin.json's folder on the manifest server, like the views.
    if (!isInsideManifestFolder(uri) || /[?#]/.test(uri)) add('uri-invalid', path, `${path} must be a path relative to plugin.json, without query or fragment, not "${uri}"`);
  }
  return problems;
}

/** A relative path that stays below the manifest's folder: no scheme, no leading slash, no `..`. */
function isInsideManifestFolder(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:|^\/|(^|\/)\.\.(\/|$)/i.test(uri);
}

/**
 * A dynamic item whose group has no dynamicUri could never be asked about; the vSphere Client
 * would then show it always or never, depending on its version. And without the requirement an
 * older client ignores `dynamic` and shows every item.
 */
function checkDynamicItems(manifest: Record<string, unknown>, add: (kind: ManifestProblemKind, path: string, message: string) => void): void {
  const objects = isRecord(manifest['objects']) ? manifest['objects'] : {};
  const requirements = isRecord(manifest['requirements']) ? manifest['requirements'] : {};
  let anyDynamic = false;
  for (const [type, ext] of Object.entries(objects)) {
    if (!isRecord(ext)) continue;
    for (const [group, list] of [['summary', null], ['monitor', 'views'], ['configure', 'views'], ['menu', 'actions']] as const) {
      const g = ext[group];
      if (!isRecord(g)) continue;
      const items: Array<[string, unknown]> =
        list === null ? [[`objects.${type}.${group}.view`, g['view']]] : (Array.isArray(g[list]) ? (g[list] as unknown[]) : []).map((item, i) => [`objects.${type}.${group}.${list}[${i}]`, item]);
      for (const [path, item] of items) {
        if (!isRecord(item) || item['dynamic'] !== true) continue;
        anyDynamic = true;
        if (g['dynamicUri'] === undefined) add('dynamic-uri-missing', path, `${path} is dynamic, but objects.${type}.${group} has no dynamicUri to ask whether to show it`);
        if (list === null && typeof item['id'] !== 'string') add('missing-key', `${path}.id`, `${path} is dynamic and needs an "id" for the dynamicUri's answer to name it`);
      }
    }
  }
  if (anyDynamic && requirements['plugin.dynamic.extensions'] === undefined) {
    add('dynamic-unsupported', 'requirements', 'the manifest has dynamic items but does not require "plugin.dynamic.extensions"; a vSphere Client without it would show them to everyone');
  }
}

/** The schema allows other trigger types; Lifeline's actions are all modals. */
function checkModalTriggers(manifest: Record<string, unknown>, add: (kind: ManifestProblemKind, path: string, message: string) => void): void {
  const objects = isRecord(manifest['objects']) ? manifest['objects'] : {};
  for (const [type, ext] of Object.entries(objects)) {
    const menu = isRecord(ext) && isRecord(ext['menu']) ? ext['menu'] : null;
    const actions = menu && Array.isArray(menu['actions']) ? (menu['actions'] as unknown[]) : [];
    actions.forEach((action, i) => {
      const trigger = isRecord(action) && isRecord(action['trigger']) ? action['trigger'] : null;
      if (trigger !== null && trigger['type'] !== 'modal') {
        add('trigger-not-modal', `objects.${type}.menu.actions[${i}].trigger.type`, `objects.${type}.menu.actions[${i}] must open a modal (trigger.type "modal")`);
      }
    });
  }
}

export interface RenderOptions {
  /** Where the UI sits relative to plugin.json, with a trailing slash: `ui/`. */
  readonly uiBase: string;
}

/**
 * The manifest as served: strings inlined as vSphere's i18n definitions, and view URIs made
 * relative to plugin.json. Asset URIs are already relative to it. Call on a checked manifest.
 */
export function renderPluginManifest(manifest: Readonly<Record<string, unknown>>, messages: Readonly<Record<string, MessageTable>>, opts: RenderOptions): Record<string, unknown> {
  const out = structuredClone(manifest) as Record<string, unknown>;
  const prefixUris = (value: unknown, key: string | null): unknown => {
    if (typeof value === 'string') return key === 'uri' && VIEW_URI.test(value) ? `${opts.uiBase}${value}` : value;
    if (Array.isArray(value)) return value.map((v) => prefixUris(v, null));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prefixUris(v, k)]));
    return value;
  };
  for (const key of ['global', 'objects']) if (key in out) out[key] = prefixUris(out[key], null);

  const definitions = out['definitions'] as Record<string, unknown>;
  const i18n = definitions['i18n'] as Record<string, unknown>;
  const locales = (i18n['locales'] as string[]).filter((l) => messages[l] !== undefined);
  const keys = new Set(locales.flatMap((l) => Object.keys(messages[l]!)));
  const byKey: Record<string, Record<string, string>> = {};
  for (const key of [...keys].sort()) {
    const reference = messages[REFERENCE_LOCALE]?.[key];
    // A string missing in one locale shows the reference text rather than the raw key.
    byKey[key] = Object.fromEntries(locales.map((l) => [l, messages[l]![key] ?? reference ?? key]));
  }
  definitions['i18n'] = { locales, definitions: byKey };
  return out;
}
