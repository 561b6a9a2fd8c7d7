/**
 * Registering Lifeline with a vCenter, updating the registration after an upgrade, removing it and
 * reporting on it. Register and update are kept apart on purpose: re-registering by accident would
 * replace the pinned server thumbprint and plugin URL of a working installation.
 */
import { LifelineError } from '../errors/index.js';
import { isVimFault, type Extension, type Vcenter } from '../vsphere/index.js';
import { EXTENSION_KEY } from './extension-plan.js';
import { ServerUnreachableError, type ProbeServer } from './server-identity.js';

/** The part of a vCenter connection registration needs. */
export type ExtensionManager = Pick<Vcenter, 'findExtension' | 'registerExtension' | 'updateExtension' | 'unregisterExtension'>;

export class AlreadyRegisteredError extends LifelineError {
  constructor(existing: Extension) {
    super(
      'registration-exists',
      `${existing.key} is already registered with this vCenter (version ${existing.version || 'unknown'}, plugin ${existing.clients[0]?.url ?? 'unknown'}); ` +
        'to replace the registration, run the same command with --update',
      { key: existing.key, version: existing.version },
    );
  }
}

export class NotRegisteredError extends LifelineError {
  constructor(key: string, hint: string) {
    super('registration-missing', `${key} is not registered with this vCenter; ${hint}`, { key });
  }
}

export interface RegisterResult {
  /** The registration replaced by --update. */
  readonly previous?: Extension | undefined;
  /** The registration as vCenter reports it afterwards. */
  readonly registered: Extension;
}

/** Registers the extension, or with `update` replaces an existing registration. */
export async function registerLifeline(vc: ExtensionManager, ext: Extension, opts: { update: boolean }, signal?: AbortSignal): Promise<RegisterResult> {
  const existing = await vc.findExtension(ext.key, signal);
  if (opts.update) {
    if (existing === undefined) throw new NotRegisteredError(ext.key, 'register it first, without --update');
    await vc.updateExtension(ext, signal);
  } else {
    if (existing !== undefined) throw new AlreadyRegisteredError(existing);
    try {
      await vc.registerExtension(ext, signal);
    } catch (err) {
      // Someone registered it between the check and the call.
      if (isVimFault(err, 'InvalidArgument')) {
        const now = await vc.findExtension(ext.key, signal);
        if (now !== undefined) throw new AlreadyRegisteredError(now);
      }
      throw err;
    }
  }
  const registered = await vc.findExtension(ext.key, signal);
  if (registered === undefined) {
    throw new LifelineError('registration-vanished', `vCenter accepted the registration of ${ext.key} but does not list it`, { key: ext.key });
  }
  return { previous: existing, registered };
}

/** Removes the registration; returns what was registered. */
export async function unregisterLifeline(vc: ExtensionManager, key: string = EXTENSION_KEY, signal?: AbortSignal): Promise<Extension> {
  const existing = await vc.findExtension(key, signal);
  if (existing === undefined) throw new NotRegisteredError(key, 'there is nothing to unregister');
  try {
    await vc.unregisterExtension(key, signal);
  } catch (err) {
    if (isVimFault(err, 'NotFound')) throw new NotRegisteredError(key, 'it was removed meanwhile');
    throw err;
  }
  return existing;
}

export interface RegistrationStatus {
  readonly key: string;
  readonly registered: boolean;
  readonly version?: string | undefined;
  readonly pluginUrl?: string | undefined;
  /** The thumbprint vCenter pins for the plugin server. */
  readonly serverThumbprint?: string | undefined;
  /** The thumbprint of the server answering at the plugin URL now. */
  readonly currentServerThumbprint?: string | undefined;
  /** Whether the two agree; undefined when the server could not be asked. */
  readonly thumbprintMatches?: boolean | undefined;
  /** Why the server at the plugin URL could not be asked. */
  readonly serverError?: string | undefined;
}

/** What vCenter has registered, and whether the server at its plugin URL is the one it pins. */
export async function registrationStatus(vc: ExtensionManager, probe: ProbeServer, key: string = EXTENSION_KEY, signal?: AbortSignal): Promise<RegistrationStatus> {
  const ext = await vc.findExtension(key, signal);
  if (ext === undefined) return { key, registered: false };
  const client = ext.clients.find((c) => c.type === 'vsphere-client-remote') ?? ext.clients[0];
  const server = ext.servers.find((s) => s.type === 'MANIFEST_SERVER') ?? ext.servers[0];
  const pluginUrl = client?.url ?? server?.url;
  const base = { key, registered: true, version: ext.version, pluginUrl, serverThumbprint: server?.serverThumbprint };
  if (pluginUrl === undefined) return { ...base, serverError: 'the registration names no plugin URL' };
  try {
    const answer = await probe(pluginUrl, signal);
    return {
      ...base,
      currentServerThumbprint: answer.thumbprint,
      thumbprintMatches: server?.serverThumbprint !== undefined && server.serverThumbprint.toUpperCase() === answer.thumbprint.toUpperCase(),
    };
  } catch (err) {
    if (err instanceof ServerUnreachableError) return { ...base, serverError: err.message };
    throw err;
  }
}
