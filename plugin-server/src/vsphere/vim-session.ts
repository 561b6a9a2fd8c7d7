/**
 * One vim25 connection to a vCenter: the pinned TLS agent, the SOAP client built from Lifeline's
 * WSDL, the session cookie, and the session's life: login, keep-alive, a transparent new login
 * when vCenter forgets the session (`NotAuthenticated`), logout.
 *
 * A session made with a user name and password is re-established by itself; a session made from
 * a clone ticket (a user's own session) is not — its NotAuthenticated reaches the caller, whose
 * user must come back through the vSphere Client.
 */
import { createClientAsync, type Client } from 'soap';
import type { Logger } from '../log/index.js';
import { LifelineError, ValidationError } from '../errors/index.js';
import { PinnedAgent } from './pinned-agent.js';
import { RangeClient } from './range-client.js';
import { VimHttpTransport } from './soap-transport.js';
import {
  VimConnectionError,
  VimFaultError,
  VimLoginError,
  VimProtocolError,
  isNotAuthenticated,
} from './vim-errors.js';
import { decodeMoRef, encodeMoRef, field, isRecord, plain, required, str, xsiType, type MoRef } from './vim-values.js';
import { vimWsdlPath } from './wsdl-location.js';

/** The vim25 operations in Lifeline's WSDL. */
export type VimMethod =
  | 'RetrieveServiceContent'
  | 'CurrentTime'
  | 'Login'
  | 'Logout'
  | 'CloneSession'
  | 'AcquireCloneTicket'
  | 'RetrievePropertiesEx'
  | 'ContinueRetrievePropertiesEx'
  | 'CancelRetrievePropertiesEx'
  | 'CreateContainerView'
  | 'DestroyView'
  | 'CancelTask'
  | 'CreateSnapshot_Task'
  | 'RemoveSnapshot_Task'
  | 'RevertToSnapshot_Task'
  | 'QueryChangedDiskAreas'
  | 'ReconfigVM_Task'
  | 'CreateVM_Task'
  | 'PowerOnVM_Task'
  | 'PowerOffVM_Task'
  | 'ShutdownGuest'
  | 'Destroy_Task'
  | 'DeleteDatastoreFile_Task'
  | 'MakeDirectory'
  | 'CreateNasDatastore'
  | 'RemoveDatastore'
  | 'RelocateVM_Task'
  | 'RegisterExtension'
  | 'UpdateExtension'
  | 'FindExtension'
  | 'UnregisterExtension'
  | 'HasPrivilegeOnEntities'
  | 'PostEvent'
  | 'QueryEvents';

export interface AboutInfo {
  readonly name: string;
  readonly fullName: string;
  readonly version: string;
  readonly build: string;
  readonly apiType: string;
  readonly apiVersion: string;
  /** The vCenter GUID the vSphere Client puts in object ids; undefined on a bare ESXi host. */
  readonly instanceUuid: string | undefined;
}

/** The managed objects of ServiceContent that Lifeline uses. */
export interface ServiceContent {
  readonly about: AboutInfo;
  readonly rootFolder: MoRef;
  readonly propertyCollector: MoRef;
  readonly viewManager: MoRef | undefined;
  readonly sessionManager: MoRef | undefined;
  readonly authorizationManager: MoRef | undefined;
  readonly extensionManager: MoRef | undefined;
  readonly fileManager: MoRef | undefined;
  readonly searchIndex: MoRef | undefined;
  readonly eventManager: MoRef | undefined;
}

export interface SessionUser {
  /** The session key, as HasPrivilegeOnEntities takes it. */
  readonly key: string;
  readonly userName: string;
  readonly fullName: string;
}

/** A password, or where to read the current one (e.g. the service user's password file). */
export type PasswordSource = string | ((signal?: AbortSignal) => Promise<string>);

export interface VimSessionOptions {
  /** The vCenter: `https://vc.example.com`, with or without the `/sdk` path. */
  readonly url: string;
  /** SHA-256 thumbprint of the vCenter's certificate. */
  readonly thumbprint: string;
  readonly log?: Logger | undefined;
  /** Idle time after which a light call keeps the session alive (default 5 minutes; 0 disables). */
  readonly keepAliveMs?: number | undefined;
  /** Parallel connections to the vCenter, for bulk datastore transfers (default 16). */
  readonly maxSockets?: number | undefined;
}

type SoapAsyncMethod = (args: unknown, options?: unknown) => Promise<unknown[]>;

/** The vCenter's SDK URL and origin from what an administrator typed. */
export function parseVcenterUrl(url: string): { sdk: string; origin: string; host: string } {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    throw new ValidationError(`not a vCenter URL: ${url}`, { url });
  }
  if (u.protocol !== 'https:') throw new ValidationError(`the vCenter URL must use https: ${url}`, { url });
  if (u.pathname !== '/' && u.pathname !== '/sdk' && u.pathname !== '/sdk/') {
    throw new ValidationError(`the vCenter URL must name the server (https://vc.example.com), not a page: ${url}`, { url });
  }
  return { sdk: `${u.origin}/sdk`, origin: u.origin, host: u.host };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Waits for `p`, but gives up (without stopping `p`) when the signal aborts. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The vim25 fault inside an error node-soap raised for a SOAP Fault reply, if there is one. */
function faultOf(err: unknown, method: string): VimFaultError | undefined {
  const body = field(field(field(err, 'root'), 'Envelope'), 'Body');
  const fault = field(body, 'Fault');
  if (!isRecord(fault)) return undefined;
  const message = str(fault['faultstring']) ?? '';
  const detail = fault['detail'];
  let name: string | undefined;
  let properties: Record<string, unknown> = {};
  if (isRecord(detail)) {
    for (const [k, v] of Object.entries(detail)) {
      if (k === 'attributes') continue;
      name = xsiType(v) ?? k.replace(/Fault$/, '');
      const p = plain(v);
      if (isRecord(p)) {
        const { _type: _ignored, ...rest } = p;
        properties = rest;
      }
      break;
    }
  }
  return new VimFaultError(name ?? 'SystemError', message, { method, faultProperties: properties });
}

/** A network-level failure (refused, reset, DNS) as opposed to an answer from vCenter. */
function isNetworkError(err: unknown): err is Error & { code?: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && !(err instanceof LifelineError);
}

export class VimSession {
  readonly sdkUrl: string;
  readonly origin: string;
  readonly agent: PinnedAgent;
  readonly transport: VimHttpTransport;
  /** Ranged GETs of datastore files (disk reads), on their own pinned keep-alive connections. */
  readonly ranges: RangeClient;
  private credentials: { userName: string; password: PasswordSource } | undefined;
  private user: SessionUser | undefined;
  /** Bumped at every login, so concurrent calls that hit NotAuthenticated log in only once. */
  private generation = 0;
  private relogin: Promise<void> | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private lastCallAt = 0;
  private closed = false;
  readonly log: Logger | undefined;

  private constructor(
    opts: VimSessionOptions,
    private readonly client: Client,
    agent: PinnedAgent,
    transport: VimHttpTransport,
    readonly serviceContent: ServiceContent,
  ) {
    const { sdk, origin } = parseVcenterUrl(opts.url);
    this.sdkUrl = sdk;
    this.origin = origin;
    this.agent = agent;
    this.transport = transport;
    this.ranges = new RangeClient({ origin, thumbprint: agent.thumbprint, maxConnections: opts.maxSockets ?? 16, connectTimeoutMs: agent.connectTimeoutMs });
    this.log = opts.log;
    const keepAliveMs = opts.keepAliveMs ?? 5 * 60_000;
    if (keepAliveMs > 0) {
      this.keepAliveTimer = setInterval(() => void this.keepAlive(keepAliveMs), Math.max(250, Math.floor(keepAliveMs / 4)));
      this.keepAliveTimer.unref();
    }
  }

  /** Connects (TLS pinned), reads ServiceContent; not logged in yet. */
  static async open(opts: VimSessionOptions, signal?: AbortSignal): Promise<VimSession> {
    const { sdk } = parseVcenterUrl(opts.url);
    const agent = new PinnedAgent({ thumbprint: opts.thumbprint, maxSockets: opts.maxSockets });
    try {
      const transport = new VimHttpTransport(agent);
      const client = await createClientAsync(vimWsdlPath(), { httpClient: transport.asHttpClient(), escapeXML: true }, sdk);
      const raw = await VimSession.invoke(client, sdk, 'RetrieveServiceContent', { _this: encodeMoRef({ type: 'ServiceInstance', value: 'ServiceInstance' }) }, signal);
      return new VimSession(opts, client, agent, transport, decodeServiceContent(raw));
    } catch (err) {
      agent.destroy();
      throw err;
    }
  }

  /** The logged-in user, or undefined before login. */
  get sessionUser(): SessionUser | undefined {
    return this.user;
  }

  /** Whether NotAuthenticated is answered with a new login (a password session) or passed on. */
  get reauthenticates(): boolean {
    return this.credentials !== undefined;
  }

  /** The managed object for a ServiceContent entry, or a protocol error when vCenter lacks it. */
  manager(name: keyof Omit<ServiceContent, 'about'>): MoRef {
    return required(this.serviceContent[name], `ServiceContent.${name}`);
  }

  /**
   * SessionManager.Login. With a PasswordSource function, every later login (after vCenter forgot
   * the session) asks it again, so a password changed meanwhile is used without a restart.
   */
  async login(userName: string, password: PasswordSource, signal?: AbortSignal): Promise<SessionUser> {
    const user = await this.doLogin(userName, password, signal);
    this.credentials = { userName, password };
    return user;
  }

  private async doLogin(userName: string, source: PasswordSource, signal?: AbortSignal): Promise<SessionUser> {
    this.transport.cookie = undefined;
    const password = typeof source === 'string' ? source : await source(signal);
    try {
      const raw = await this.raw('Login', { _this: encodeMoRef(this.manager('sessionManager')), userName, password }, signal);
      return this.startSession(raw);
    } catch (err) {
      if (err instanceof VimFaultError && err.faultName === 'InvalidLogin') throw new VimLoginError(userName, { cause: err });
      throw err;
    }
  }

  /** SessionManager.CloneSession: this connection becomes a session of the ticket's user. */
  async cloneSession(cloneTicket: string, signal?: AbortSignal): Promise<SessionUser> {
    this.transport.cookie = undefined;
    this.credentials = undefined;
    const raw = await this.raw('CloneSession', { _this: encodeMoRef(this.manager('sessionManager')), cloneTicket }, signal);
    return this.startSession(raw);
  }

  /** SessionManager.AcquireCloneTicket: a one-time ticket another connection can clone this session with. */
  async acquireCloneTicket(signal?: AbortSignal): Promise<string> {
    const raw = await this.call('AcquireCloneTicket', { _this: encodeMoRef(this.manager('sessionManager')) }, signal);
    return required(str(raw), 'the clone ticket');
  }

  private startSession(raw: unknown): SessionUser {
    this.generation++;
    this.lastCallAt = Date.now();
    this.user = {
      key: required(str(field(raw, 'key')), 'UserSession.key'),
      userName: required(str(field(raw, 'userName')), 'UserSession.userName'),
      fullName: str(field(raw, 'fullName')) ?? '',
    };
    return this.user;
  }

  /** Ends the session on vCenter (when there is one) and closes the connections. */
  async logout(signal?: AbortSignal): Promise<void> {
    try {
      if (this.user !== undefined && !this.closed) {
        this.credentials = undefined;
        await this.raw('Logout', { _this: encodeMoRef(this.manager('sessionManager')) }, signal).catch((err: unknown) => {
          // A session vCenter already forgot needs no logout.
          if (!isNotAuthenticated(err)) throw err;
        });
      }
    } finally {
      this.close();
    }
  }

  /** Closes the connections without telling vCenter (the session times out there). */
  close(): void {
    this.closed = true;
    this.user = undefined;
    this.credentials = undefined;
    this.transport.cookie = undefined;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.agent.destroy();
    this.ranges.close();
  }

  /** Calls a vim25 method; a lost password session is re-established and the call made again. */
  call(method: VimMethod, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    return this.withSession(() => this.raw(method, args, signal), signal);
  }

  /**
   * Runs `work` (calls through raw()) and, when it fails with NotAuthenticated on a password
   * session, logs in again and runs it once more. A unit of work that holds session-bound objects
   * (a container view, a retrieval token) goes here as a whole, since those die with the session.
   */
  async withSession<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const generation = this.generation;
    try {
      return await work();
    } catch (err) {
      if (!isNotAuthenticated(err) || this.credentials === undefined || this.closed) throw err;
      this.log?.info('vCenter session ended; logging in again', { vcenter: this.origin });
      await abortable(this.reestablish(generation), signal);
      return await work();
    }
  }

  private reestablish(failedGeneration: number): Promise<void> {
    if (this.generation !== failedGeneration) return Promise.resolve();
    const creds = this.credentials;
    if (creds === undefined) return Promise.reject(new VimProtocolError('the session cannot be re-established: not a password session'));
    // Shared by every call that found the session gone; not tied to one caller's signal.
    this.relogin ??= this.doLogin(creds.userName, creds.password).then(
      () => {
        this.relogin = undefined;
      },
      (err: unknown) => {
        this.relogin = undefined;
        throw err;
      },
    );
    return this.relogin;
  }

  private async keepAlive(idleMs: number): Promise<void> {
    if (this.closed || this.user === undefined || this.relogin !== undefined) return;
    if (Date.now() - this.lastCallAt < idleMs) return;
    try {
      await this.call('CurrentTime', { _this: encodeMoRef({ type: 'ServiceInstance', value: 'ServiceInstance' }) });
    } catch (err) {
      // The next real call reports the problem (or logs in again); this only keeps the session warm.
      this.log?.warn('vCenter keep-alive call failed', { vcenter: this.origin, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** One SOAP call, no re-login. */
  async raw(method: VimMethod, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) throw new VimProtocolError(`the vCenter connection to ${this.origin} is closed`);
    this.lastCallAt = Date.now();
    return VimSession.invoke(this.client, this.sdkUrl, method, args, signal);
  }

  private static async invoke(client: Client, url: string, method: VimMethod, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    signal?.throwIfAborted();
    const fn: unknown = client[`${method}Async`];
    if (typeof fn !== 'function') throw new VimProtocolError(`Lifeline's vim25 WSDL lacks the operation ${method}`);
    try {
      const reply = await (fn as SoapAsyncMethod).call(client, args, signal ? { signal } : {});
      return field(reply[0], 'returnval');
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (err instanceof LifelineError) throw err;
      const fault = faultOf(err, method);
      if (fault) throw fault;
      if (isNetworkError(err)) throw new VimConnectionError(url, err.message, { cause: err });
      const root = field(err, 'Fault');
      if (isRecord(root)) throw new VimProtocolError(`vCenter's reply to ${method} is not readable: ${str(root['detail']) ?? str(root['faultstring']) ?? ''}`);
      throw new VimProtocolError(`${method} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function decodeServiceContent(raw: unknown): ServiceContent {
  const ref = (name: string): MoRef | undefined => decodeMoRef(field(raw, name));
  const about = field(raw, 'about');
  const s = (name: string): string => str(field(about, name)) ?? '';
  return {
    about: {
      name: s('name'),
      fullName: s('fullName'),
      version: s('version'),
      build: s('build'),
      apiType: s('apiType'),
      apiVersion: s('apiVersion'),
      instanceUuid: str(field(about, 'instanceUuid')),
    },
    rootFolder: required(ref('rootFolder'), 'ServiceContent.rootFolder'),
    propertyCollector: required(ref('propertyCollector'), 'ServiceContent.propertyCollector'),
    viewManager: ref('viewManager'),
    sessionManager: ref('sessionManager'),
    authorizationManager: ref('authorizationManager'),
    extensionManager: ref('extensionManager'),
    fileManager: ref('fileManager'),
    searchIndex: ref('searchIndex'),
    eventManager: ref('eventManager'),
  };
}
