import { DOCUMENT, Injectable, InjectionToken, inject } from '@angular/core';

import { findContextVm, type VsphereObjectRef } from './context-object-id';
import type {
  ClientInfo,
  ContextObject,
  DynamicModalConfig,
  HtmlClientSdk,
  HtmlClientSdkInterfaces,
  JsonValue,
  ModalConfig,
  NavigationOptions,
  PluginBackendInfo,
  PluginDateTimeFormatOptions,
  PluginTheme,
  SessionInfo,
} from './html-client-sdk-api';
import { browserStandaloneHost, createStandaloneSdk, type StandaloneHost } from './standalone-sdk';

declare global {
  interface Window {
    /** Set by the vSphere Client's `/api/ui/htmlClientSdk.js`; absent when that script did not load. */
    htmlClientSdk?: unknown;
  }
}

/**
 * Whether a global can be the vSphere Client's SDK. Only `initialize` is looked at: the documented
 * object has nothing else callable (besides `isInitialized` and `getProxiedPluginServerOrigin`)
 * until initialize() has called back, and then the vSphere Client adds `app`, `event` and `modal`.
 */
export function isHtmlClientSdk(value: unknown): value is HtmlClientSdk {
  return typeof value === 'object' && value !== null && typeof (value as { initialize?: unknown }).initialize === 'function';
}

/**
 * The page's `htmlClientSdk` global as it is, or null when the page has none: only then does
 * Lifeline run standalone. A global that is not the SDK is not mistaken for "no vSphere Client";
 * initialize() then fails and says so.
 */
export const VSPHERE_CLIENT_SDK = new InjectionToken<unknown>('vSphere Client htmlClientSdk', {
  providedIn: 'root',
  factory: () => inject(DOCUMENT).defaultView?.htmlClientSdk ?? null,
});

export const STANDALONE_HOST = new InjectionToken<StandaloneHost>('Lifeline standalone host', {
  providedIn: 'root',
  factory: () => {
    const win = inject(DOCUMENT).defaultView;
    if (win === null) {
      throw new Error('Lifeline needs a browser window to run outside the vSphere Client.');
    }
    return browserStandaloneHost(win);
  },
});

export type HtmlClientSdkErrorCode =
  | 'NO_BACKEND_SERVER'
  | 'SDK_UNUSABLE'
  | 'SDK_NOT_INITIALIZED'
  | 'SDK_INCOMPLETE'
  | 'NO_SESSION'
  | 'NO_BACKEND_INFO'
  | 'SDK_NO_ANSWER';

export class HtmlClientSdkError extends Error {
  constructor(
    readonly code: HtmlClientSdkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HtmlClientSdkError';
  }
}

/**
 * How long a callback of the vSphere Client may take before Lifeline gives up and says so rather
 * than leaving a view spinning. The SDK answers these in milliseconds when it answers at all.
 */
export const SDK_ANSWER_TIMEOUT_MS = 30_000;

/**
 * The one way Lifeline's UI talks to the vSphere Client: promises instead of callbacks, typed
 * results, and the same surface whether the real SDK or the standalone stand-in is underneath.
 *
 * The lifecycle follows VMware's "Bootstrapping the JavaScript API": initialize() first, and only
 * once it has called back are `app`, `event` and `modal` read. `getSessionInfo` and
 * `getPluginBackendInfo` may call back with null "in case of an exception"; such a call rejects
 * with an HtmlClientSdkError, and a failed backend lookup is asked again next time rather than
 * remembered for the life of the frame.
 */
@Injectable({ providedIn: 'root' })
export class HtmlClientSdkService {
  private readonly global = inject(VSPHERE_CLIENT_SDK);
  private readonly host = this.global === null ? inject(STANDALONE_HOST) : null;
  private initialized: Promise<void> | null = null;
  private interfaces: HtmlClientSdkInterfaces | null = null;
  private proxiedOrigin: string | null = null;
  private backendInfo: Promise<PluginBackendInfo> | null = null;
  private globalVc: string | undefined = undefined;

  /** True when the page has no `htmlClientSdk` at all and the URL stands in for the vSphere Client. */
  readonly standalone = this.global === null;

  /** Resolves once the SDK may be used; rejects with an HtmlClientSdkError when it cannot be. */
  initialize(): Promise<void> {
    this.initialized ??= this.start();
    return this.initialized;
  }

  private async start(): Promise<void> {
    const sdk: HtmlClientSdk = this.host !== null ? createStandaloneSdk(this.host) : (this.global as HtmlClientSdk);
    if (!isHtmlClientSdk(sdk)) {
      throw new HtmlClientSdkError('SDK_UNUSABLE', 'The page defines htmlClientSdk, but it has no initialize() to call.');
    }
    await new Promise<void>((resolve) => sdk.initialize(resolve));
    const { app, event, modal } = sdk;
    if (!app || !event || !modal) {
      throw new HtmlClientSdkError('SDK_INCOMPLETE', 'The vSphere Client SDK called back from initialize() without its app, event and modal interfaces.');
    }
    this.interfaces = { app, event, modal };
    this.proxiedOrigin = typeof sdk.getProxiedPluginServerOrigin === 'function' ? sdk.getProxiedPluginServerOrigin() : null;
  }

  private get sdk(): HtmlClientSdkInterfaces {
    if (this.interfaces === null) {
      throw new HtmlClientSdkError('SDK_NOT_INITIALIZED', 'The vSphere Client SDK was used before initialize() called back.');
    }
    return this.interfaces;
  }

  /** Where the vSphere Client proxies the plugin server, when the SDK says; null otherwise. */
  proxiedPluginServerOrigin(): string | null {
    return this.proxiedOrigin;
  }

  contextObjects(): readonly ContextObject[] {
    return this.sdk.app.getContextObjects();
  }

  /** The VM a VM tab or VM action was opened for, or null when the context holds none. */
  contextVm(): VsphereObjectRef | null {
    return findContextVm(this.contextObjects().map((object) => object.id));
  }

  /** Asked for on every call because the vSphere Client renews the token during a session. */
  async sessionToken(): Promise<string> {
    const info = await this.ask<SessionInfo>((callback) => this.sdk.app.getSessionInfo(callback), 'getSessionInfo');
    if (info === null || typeof info.sessionToken !== 'string') {
      throw new HtmlClientSdkError('NO_SESSION', 'The vSphere Client has no session for Lifeline: your vSphere Client session may have ended. Sign in again and reopen this view.');
    }
    return info.sessionToken;
  }

  /** Remembered once known; a failure is not, so the next call asks the vSphere Client again. */
  pluginBackendInfo(): Promise<PluginBackendInfo> {
    if (this.backendInfo === null) {
      const asked = this.ask<PluginBackendInfo>((callback) => this.sdk.app.getPluginBackendInfo(callback), 'getPluginBackendInfo').then((info) => {
        if (info === null || !Array.isArray(info.allPluginBackendServers)) {
          throw new HtmlClientSdkError('NO_BACKEND_INFO', 'The vSphere Client could not say where the Lifeline server is: your vSphere Client session may have ended. Sign in again and reopen this view.');
        }
        return info;
      });
      this.backendInfo = asked;
      asked.catch(() => {
        if (this.backendInfo === asked) this.backendInfo = null;
      });
    }
    return this.backendInfo;
  }

  /**
   * The base URL of the Lifeline server, without a trailing slash. A server registered for the
   * given vCenter wins, because with linked vCenters each has its own Lifeline server.
   */
  async backendBaseUrl(vcGuid?: string): Promise<string> {
    const info = await this.pluginBackendInfo();
    const forVc = vcGuid === undefined ? undefined : info.backendServersPerVc?.[vcGuid]?.[0];
    const server = forVc ?? info.allPluginBackendServers[0];
    if (server === undefined) {
      throw new HtmlClientSdkError('NO_BACKEND_SERVER', 'The vSphere Client knows no Lifeline server for this plugin.');
    }
    return server.proxiedBaseUrl.replace(/\/+$/, '');
  }

  /**
   * The vCenters a global view may show, when the vSphere Client lists Lifeline servers for
   * several vCenters that are not all the same server (none otherwise), and the one it shows now:
   * the chosen one, else the one whose server is the vSphere Client's first.
   */
  async vcenterChoices(): Promise<{ guids: string[]; shown: string | undefined }> {
    const info = await this.pluginBackendInfo();
    const perVc = info.backendServersPerVc ?? {};
    const base = (url: string): string => url.replace(/\/+$/, '');
    const guids = Object.keys(perVc).filter((guid) => perVc[guid]?.[0] !== undefined).sort();
    const servers = new Set(guids.map((guid) => base(perVc[guid]![0]!.proxiedBaseUrl)));
    if (servers.size < 2) return { guids: [], shown: undefined };
    const first = info.allPluginBackendServers[0];
    const shown = this.globalVc ?? guids.find((guid) => first !== undefined && base(perVc[guid]![0]!.proxiedBaseUrl) === base(first.proxiedBaseUrl)) ?? guids[0];
    return { guids, shown };
  }

  /** The vCenter a global view shows (undefined: the vSphere Client's first server). */
  globalVcenter(): string | undefined {
    return this.globalVc;
  }

  setGlobalVcenter(guid: string | undefined): void {
    this.globalVc = guid;
  }

  clientInfo(): ClientInfo {
    return this.sdk.app.getClientInfo();
  }

  locale(): string {
    return this.sdk.app.getClientLocale();
  }

  theme(): PluginTheme {
    return this.sdk.app.getTheme();
  }

  onThemeChanged(callback: (theme: PluginTheme) => void): void {
    this.sdk.event.onThemeChanged(callback);
  }

  /** The vSphere Client's refresh button; a client without it never calls back. */
  onGlobalRefresh(callback: () => void): void {
    this.sdk.event.onGlobalRefresh?.(callback);
  }

  /** The user's vSphere date format, when this vSphere Client offers one (7.0 U1+); null otherwise. */
  dateTimeFormatter(): ((instant: number, options?: PluginDateTimeFormatOptions) => string) | null {
    const app = this.sdk.app;
    return typeof app.formatDateTime === 'function' ? (instant, options) => app.formatDateTime!(instant, options) : null;
  }

  onDateTimeFormatChanged(callback: () => void): void {
    this.sdk.event.onDateTimeFormatChanged?.(callback);
  }

  navigateTo(options: NavigationOptions): void {
    this.sdk.app.navigateTo(options);
  }

  openModal(config: ModalConfig): void {
    this.sdk.modal.open(config);
  }

  closeModal(result?: JsonValue): void {
    this.sdk.modal.close(result);
  }

  setModalOptions(options: DynamicModalConfig): void {
    this.sdk.modal.setOptions(options);
  }

  modalCustomData(): JsonValue | null {
    return this.sdk.modal.getCustomData();
  }

  /** One callback of the vSphere Client as a promise that settles, whatever the client does. */
  private ask<T>(call: (callback: (value: T | null) => void) => void, name: string): Promise<T | null> {
    return new Promise<T | null>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new HtmlClientSdkError('SDK_NO_ANSWER', `The vSphere Client did not answer ${name} within ${SDK_ANSWER_TIMEOUT_MS / 1000} seconds.`)),
        SDK_ANSWER_TIMEOUT_MS,
      );
      try {
        call((value) => {
          clearTimeout(timer);
          resolve(value ?? null);
        });
      } catch (error) {
        clearTimeout(timer);
        reject(error);
      }
    });
  }
}
