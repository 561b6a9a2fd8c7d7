/**
 * What Lifeline registers with vCenter, computed without touching anything: the ExtensionManager
 * record of a vSphere Client remote plugin. Kept pure so that `--dry-run` prints exactly what a
 * registration would send, and so the shape vCenter needs is checked by unit tests.
 */
import { ValidationError, isLifelineError } from '../errors/index.js';
import { requireThumbprint } from '../domain/index.js';
import { EVENT_TYPE_NAMES, vcenterEventTypeId } from '../events/index.js';
import { type Extension, type ExtensionDescription, type ExtensionEventType, type ExtensionResource } from '../vsphere/index.js';

/** The extension key; also the privilege group and the prefix of every privilege id. */
export const EXTENSION_KEY = 'com.lifeline.vsphere';
export const EXTENSION_COMPANY = 'Lifeline';

export const EXTENSION_DESCRIPTION: ExtensionDescription = {
  label: 'Lifeline',
  summary: 'Backup and disaster recovery for vSphere virtual machines',
};

export interface LifelinePrivilege {
  readonly privId: string;
  readonly label: string;
  readonly summary: string;
}

/** The custom privileges roles can grant; the server checks them before every action. */
export const LIFELINE_PRIVILEGES: readonly LifelinePrivilege[] = [
  { privId: `${EXTENSION_KEY}.Protect`, label: 'Protect', summary: 'Protect virtual machines: assign policies, back up now, cancel backups' },
  { privId: `${EXTENSION_KEY}.Restore`, label: 'Restore', summary: 'Restore virtual machines, disks and files from backups' },
  { privId: `${EXTENSION_KEY}.Admin`, label: 'Administer', summary: 'Administer Lifeline: protection policies, repositories, settings and the audit log' },
];

/**
 * vCenter shows extension privileges (and their group) in role editors with localized texts under
 * `privilege.<id>.label` and `privilege.<id>.summary` (the keys vCenter's own privileges use, and
 * that the vSphere Client SDK's remote plug-in sample registers through its registration tool's
 * resourceList, locale `en`); without them the raw ids show.
 */
export const PRIVILEGE_RESOURCE_MODULE = 'privilege';

const NUMERIC_VERSION = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * The numeric `A.B.C.D` extension version for a package version: `0.1.0` → `0.1.0.0`. A pre-release
 * (`1.2.0-rc.1`) has no faithful numeric form, and the vSphere Client caches a plugin by version,
 * so guessing one could hide an upgrade; such versions need an explicit `--version`.
 */
export function extensionVersion(packageVersion: string): string {
  const v = packageVersion.trim();
  if (NUMERIC_VERSION.test(v)) return v;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) {
    throw new ValidationError(`the package version ${packageVersion} has no numeric A.B.C.D form; give one with --version`, { packageVersion });
  }
  return `${m[1]}.${m[2]}.${m[3]}.0`;
}

/** An explicitly given extension version, checked. */
export function checkExtensionVersion(version: string): string {
  const v = version.trim();
  if (!NUMERIC_VERSION.test(v)) {
    throw new ValidationError(`an extension version must be four numbers, A.B.C.D (e.g. 0.1.0.1), not ${version}`, { version });
  }
  return v;
}

/**
 * The plugin.json URL, checked: vCenter fetches the manifest itself and pins the server's
 * certificate, so only an https URL naming plugin.json can work.
 */
export function checkPluginUrl(pluginUrl: string): string {
  let u: URL;
  try {
    u = new URL(pluginUrl);
  } catch {
    throw new ValidationError(`--plugin-url is not a URL: ${pluginUrl}`, { pluginUrl });
  }
  if (u.protocol !== 'https:') throw new ValidationError(`--plugin-url must use https (vCenter pins the server's certificate): ${pluginUrl}`, { pluginUrl });
  if (u.username !== '' || u.password !== '') throw new ValidationError('--plugin-url must not carry a user name or password', {});
  if (!u.pathname.endsWith('/plugin.json')) {
    throw new ValidationError(`--plugin-url must be the URL of the plugin manifest, ending with /plugin.json: ${pluginUrl}`, { pluginUrl });
  }
  if (u.search !== '' || u.hash !== '') throw new ValidationError(`--plugin-url must not have a query or fragment: ${pluginUrl}`, { pluginUrl });
  return u.href;
}

/** A SHA-256 thumbprint in the colon-separated upper-case form vCenter stores. */
export function normalizeServerThumbprint(thumbprint: string): string {
  try {
    return requireThumbprint(thumbprint);
  } catch (err) {
    if (isLifelineError(err)) {
      throw new ValidationError(`the server thumbprint ${thumbprint} is not a SHA-256 thumbprint (32 hex pairs, colon-separated)`, { thumbprint });
    }
    throw err;
  }
}

export interface ExtensionPlanInput {
  readonly pluginUrl: string;
  /** Numeric A.B.C.D. */
  readonly version: string;
  /** SHA-256 thumbprint of the Lifeline server's certificate, colon-separated upper-case hex. */
  readonly serverThumbprint: string;
  /** The certificate in PEM, registered besides the thumbprint (vSphere API 8.0.2+). */
  readonly serverCertificate?: string | undefined;
  /** At least one: vim25 requires ExtensionServerInfo.adminEmail. */
  readonly adminEmails: readonly string[];
}

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

/** One certificate in strict PEM (RFC 7468), as vCenter's serverCertificate takes it. */
export function checkCertificatePem(pem: string): string {
  if (!PEM_CERTIFICATE.test(pem)) throw new ValidationError('the server certificate is not one PEM certificate (-----BEGIN CERTIFICATE----- …)', { field: 'serverCertificate' });
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

export function privilegeResources(): ExtensionResource {
  const data: Record<string, string> = {
    [`privilege.${EXTENSION_KEY}.label`]: EXTENSION_DESCRIPTION.label,
    [`privilege.${EXTENSION_KEY}.summary`]: EXTENSION_DESCRIPTION.summary,
  };
  for (const p of LIFELINE_PRIVILEGES) {
    data[`privilege.${p.privId}.label`] = p.label;
    data[`privilege.${p.privId}.summary`] = p.summary;
  }
  return { locale: 'en', module: PRIVILEGE_RESOURCE_MODULE, data };
}

/** The extension record for RegisterExtension / UpdateExtension. */
export function planExtension(input: ExtensionPlanInput): Extension {
  const pluginUrl = checkPluginUrl(input.pluginUrl);
  const version = checkExtensionVersion(input.version);
  if (input.adminEmails.length === 0) {
    throw new ValidationError('vCenter requires an administrator e-mail address for the plugin server; give one with --admin-email', { field: 'adminEmail' });
  }
  for (const email of input.adminEmails) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ValidationError(`not an e-mail address: ${email}`, { email });
  }
  const serverCertificate = input.serverCertificate === undefined ? undefined : checkCertificatePem(input.serverCertificate);
  return {
    key: EXTENSION_KEY,
    version,
    description: EXTENSION_DESCRIPTION,
    company: EXTENSION_COMPANY,
    clients: [
      {
        type: 'vsphere-client-remote',
        url: pluginUrl,
        version,
        company: EXTENSION_COMPANY,
        description: EXTENSION_DESCRIPTION,
      },
    ],
    servers: [
      {
        type: 'MANIFEST_SERVER',
        url: pluginUrl,
        serverThumbprint: normalizeServerThumbprint(input.serverThumbprint),
        ...(serverCertificate !== undefined ? { serverCertificate } : {}),
        company: EXTENSION_COMPANY,
        description: EXTENSION_DESCRIPTION,
        adminEmail: [...input.adminEmails],
      },
    ],
    privileges: LIFELINE_PRIVILEGES.map((p) => ({ privId: p.privId, privGroupName: EXTENSION_KEY })),
    events: extensionEventTypes(),
    resources: [privilegeResources()],
  };
}

/**
 * Lifeline's event types as vCenter learns them at registration (ExtensionEventTypeInfo), each
 * with the arguments its events carry, so that the vSphere Client can offer them when an
 * administrator defines an alarm.
 */
export function extensionEventTypes(): ExtensionEventType[] {
  const args = ['lifelineEventId', 'jobId', 'pointId'].map((n) => `<argument><name>${n}</name><type>string</type></argument>`).join('');
  return EVENT_TYPE_NAMES.map((type) => {
    const eventId = vcenterEventTypeId(EXTENSION_KEY, type);
    return { eventId, eventTypeSchema: `<EventType><eventTypeID>${eventId}</eventTypeID><arguments>${args}</arguments></EventType>` };
  });
}
