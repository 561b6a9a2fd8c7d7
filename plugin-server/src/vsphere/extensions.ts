/**
 * Lifeline's registration with vCenter (ExtensionManager), and privilege checks for a user's
 * session (AuthorizationManager.HasPrivilegeOnEntities).
 */
import { ValidationError } from '../errors/index.js';
import type { VimSession } from './vim-session.js';
import { asArray, compact, date, decodeMoRef, encodeMoRef, field, str, bool, type MoRef } from './vim-values.js';

export interface ExtensionDescription {
  readonly label: string;
  readonly summary: string;
}

/** A client of the extension; for a remote plugin: type `vsphere-client-remote`, url of plugin.json. */
export interface ExtensionClient {
  readonly version: string;
  readonly description: ExtensionDescription;
  readonly company: string;
  readonly type: string;
  readonly url: string;
}

/** A server of the extension; for a remote plugin: type `MANIFEST_SERVER` with the certificate's thumbprint. */
export interface ExtensionServer {
  readonly url: string;
  readonly description: ExtensionDescription;
  readonly company: string;
  readonly type: string;
  /** Required by vim25 (at least one address). */
  readonly adminEmail: readonly string[];
  /** SHA-256 thumbprint of the server's certificate, colon-separated. */
  readonly serverThumbprint?: string | undefined;
  /** The server's certificate in PEM (vSphere API 8.0.2+; older vCenters pin the thumbprint only). */
  readonly serverCertificate?: string | undefined;
}

export interface ExtensionPrivilege {
  /** e.g. `com.example.lifeline.Protect`. */
  readonly privId: string;
  /** The extension key, as vCenter groups custom privileges by it. */
  readonly privGroupName: string;
}

export interface ExtensionResource {
  readonly locale: string;
  readonly module: string;
  readonly data: Readonly<Record<string, string>>;
}

/** An event type the extension posts (ExtensionEventTypeInfo). */
export interface ExtensionEventType {
  /** e.g. `com.example.lifeline.backup.failed`. */
  readonly eventId: string;
  /** The optional XML descriptor of the type: `<EventType><eventTypeID>…</eventTypeID><arguments>…</arguments></EventType>`. */
  readonly eventTypeSchema?: string | undefined;
}

export interface Extension {
  readonly key: string;
  /** Numeric `A.B.C.D`; the vSphere Client caches a plugin per version. */
  readonly version: string;
  readonly description: ExtensionDescription;
  readonly company?: string | undefined;
  readonly type?: string | undefined;
  readonly clients: readonly ExtensionClient[];
  readonly servers: readonly ExtensionServer[];
  readonly privileges: readonly ExtensionPrivilege[];
  /** Event types the extension posts on vCenter objects; alarms can be defined on them. */
  readonly events?: readonly ExtensionEventType[] | undefined;
  readonly resources?: readonly ExtensionResource[] | undefined;
  readonly shownInSolutionManager?: boolean | undefined;
  /** When vCenter last heard from the extension (set to now when registering). */
  readonly lastHeartbeatTime?: string | undefined;
}

function description(d: ExtensionDescription): Record<string, unknown> {
  return { label: d.label, summary: d.summary };
}

/** The Extension data object in vim25 field order. */
export function encodeExtension(ext: Extension, now: Date): Record<string, unknown> {
  if (!/^\d+(\.\d+){0,3}$/.test(ext.version)) {
    throw new ValidationError(`an extension version must be numeric (A.B.C.D), not ${ext.version}`, { version: ext.version });
  }
  return compact({
    description: description(ext.description),
    key: ext.key,
    company: ext.company,
    type: ext.type,
    version: ext.version,
    server: ext.servers.map((s) =>
      compact({
        url: s.url,
        description: description(s.description),
        company: s.company,
        type: s.type,
        adminEmail: [...s.adminEmail],
        serverThumbprint: s.serverThumbprint,
        serverCertificate: s.serverCertificate,
      }),
    ),
    client: ext.clients.map((c) => ({ version: c.version, description: description(c.description), company: c.company, type: c.type, url: c.url })),
    eventList: ext.events?.map((e) => compact({ eventID: e.eventId, eventTypeSchema: e.eventTypeSchema })),
    privilegeList: ext.privileges.map((p) => ({ privID: p.privId, privGroupName: p.privGroupName })),
    resourceList: ext.resources?.map((r) => ({ locale: r.locale, module: r.module, data: Object.entries(r.data).map(([key, value]) => ({ key, value })) })),
    lastHeartbeatTime: now.toISOString(),
    shownInSolutionManager: ext.shownInSolutionManager,
  });
}

function decodeDescription(v: unknown): ExtensionDescription {
  return { label: str(field(v, 'label')) ?? '', summary: str(field(v, 'summary')) ?? '' };
}

export function decodeExtension(v: unknown): Extension | undefined {
  const key = str(field(v, 'key'));
  if (key === undefined) return undefined;
  return {
    key,
    version: str(field(v, 'version')) ?? '',
    description: decodeDescription(field(v, 'description')),
    company: str(field(v, 'company')),
    type: str(field(v, 'type')),
    clients: asArray(field(v, 'client')).map((c) => ({
      version: str(field(c, 'version')) ?? '',
      description: decodeDescription(field(c, 'description')),
      company: str(field(c, 'company')) ?? '',
      type: str(field(c, 'type')) ?? '',
      url: str(field(c, 'url')) ?? '',
    })),
    servers: asArray(field(v, 'server')).map((s) => ({
      url: str(field(s, 'url')) ?? '',
      description: decodeDescription(field(s, 'description')),
      company: str(field(s, 'company')) ?? '',
      type: str(field(s, 'type')) ?? '',
      adminEmail: asArray(field(s, 'adminEmail')).map((e) => str(e) ?? ''),
      serverThumbprint: str(field(s, 'serverThumbprint')),
      serverCertificate: str(field(s, 'serverCertificate')),
    })),
    events: asArray(field(v, 'eventList')).map((e) => ({ eventId: str(field(e, 'eventID')) ?? '', eventTypeSchema: str(field(e, 'eventTypeSchema')) })),
    privileges: asArray(field(v, 'privilegeList')).map((p) => ({
      privId: str(field(p, 'privID')) ?? '',
      privGroupName: str(field(p, 'privGroupName')) ?? '',
    })),
    resources: asArray(field(v, 'resourceList')).map((r) => ({
      locale: str(field(r, 'locale')) ?? '',
      module: str(field(r, 'module')) ?? '',
      data: Object.fromEntries(asArray(field(r, 'data')).map((kv) => [str(field(kv, 'key')) ?? '', str(field(kv, 'value')) ?? ''])),
    })),
    shownInSolutionManager: bool(field(v, 'shownInSolutionManager')),
    lastHeartbeatTime: date(field(v, 'lastHeartbeatTime'))?.toISOString(),
  };
}

export async function registerExtension(session: VimSession, ext: Extension, now: Date, signal?: AbortSignal): Promise<void> {
  await session.call('RegisterExtension', { _this: encodeMoRef(session.manager('extensionManager')), extension: encodeExtension(ext, now) }, signal);
}

export async function updateExtension(session: VimSession, ext: Extension, now: Date, signal?: AbortSignal): Promise<void> {
  await session.call('UpdateExtension', { _this: encodeMoRef(session.manager('extensionManager')), extension: encodeExtension(ext, now) }, signal);
}

/** The registered extension with that key, or undefined. */
export async function findExtension(session: VimSession, key: string, signal?: AbortSignal): Promise<Extension | undefined> {
  const raw = await session.call('FindExtension', { _this: encodeMoRef(session.manager('extensionManager')), extensionKey: key }, signal);
  return raw === undefined || raw === null ? undefined : decodeExtension(raw);
}

export async function unregisterExtension(session: VimSession, key: string, signal?: AbortSignal): Promise<void> {
  await session.call('UnregisterExtension', { _this: encodeMoRef(session.manager('extensionManager')), extensionKey: key }, signal);
}

/** `Type:value` of a managed object, the key of the maps below. */
export function moRefKey(ref: MoRef): string {
  return `${ref.type}:${ref.value}`;
}

/**
 * For each entity (keyed `Type:value`) and each privilege asked about, whether the user of the
 * session `sessionKey` holds it there. The calling session needs Sessions.ValidateSession or
 * to be that same session.
 */
export async function hasPrivilegeOnEntities(
  session: VimSession,
  entities: readonly MoRef[],
  sessionKey: string,
  privileges: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Map<string, boolean>>> {
  const raw = await session.call(
    'HasPrivilegeOnEntities',
    {
      _this: encodeMoRef(session.manager('authorizationManager')),
      entity: entities.map(encodeMoRef),
      sessionId: sessionKey,
      privId: [...privileges],
    },
    signal,
  );
  const out = new Map<string, Map<string, boolean>>();
  for (const e of entities) out.set(moRefKey(e), new Map(privileges.map((p) => [p, false])));
  for (const ep of asArray(raw)) {
    const entity = decodeMoRef(field(ep, 'entity'));
    if (!entity) continue;
    const granted = out.get(moRefKey(entity)) ?? new Map<string, boolean>();
    for (const pa of asArray(field(ep, 'privAvailability'))) {
      const id = str(field(pa, 'privId'));
      if (id !== undefined) granted.set(id, bool(field(pa, 'isGranted')) ?? false);
    }
    out.set(moRefKey(entity), granted);
  }
  return out;
}
