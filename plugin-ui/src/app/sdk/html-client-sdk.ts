import { DOCUMENT, Injectable, InjectionToken, inject } from '@angular/core';

import { findContextVm, type VsphereObjectRef } from './context-object-id';
import type {
  ClientInfo,
  ContextObject,
  DynamicModalConfig,
  HtmlClientSdk,
  JsonValue,
  ModalConfig,
  NavigationOptions,
  PluginBackendInfo,
  PluginTheme,
} from './html-client-sdk-api';
import { browserStandaloneHost, createStandaloneSdk, type StandaloneHost } from './standalone-sdk';

declare global {
  interface Window {
    /** Set by the vSphere Client's `/api/ui/htmlClientSdk.js`; absent when that script did not load. */
    htmlClientSdk?: unknown;
  }
}

/** Whatever the page's script defined is checked before Lifeline relies on it. */
export function isHtmlClientSdk(value: unknown): value is HtmlClientSdk {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const sdk = value as Partial<Record<keyof HtmlClientSdk, unknown>>;
  return (
    typeof sdk.initialize === 'function' &&
    typeof sdk.app === 'object' &&
    sdk.app !== null &&
    typeof sdk.event === 'object' &&
    sdk.event !== null &&
    typeof sdk.modal === 'object' &&
    sdk.modal !== null
  );
}

/** The vSphere Client's SDK, or null when the page runs outside the vSphere Client. */
export const VSPHERE_CLIENT_SDK = new InjectionToken<HtmlClientSdk | null>('vSphere Client htmlClientSdk', {
  providedIn: 'root',
  factory: () => {
    const candidate = inject(DOCUMENT).defaultView?.htmlClientSdk;
    return isHtmlClientSdk(candidate) ? candidate : null;
  },
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

export class HtmlClientSdkError extends Error {
  constructor(
    readonly code: 'NO_BACKEND_SERVER',
    message: string,
  ) {
    super(message);
    this.name = 'HtmlClientSdkError';
  }
}

/**
 * The one way Lifeline's UI talks to the vSphere Client: promises instead of callbacks, typed
 * results, and the same surface whether the real SDK or the standalone stand-in is underneath.
 */
@Injectable({ providedIn: 'root' })
export class HtmlClientSdkService {
  private readonly vsphere = inject(VSPHERE_CLIENT_SDK);
  private readonly sdk: HtmlClientSdk = this.vsphere ?? createStandaloneSdk(inject(STANDALONE_HOST));
  private initialized: Promise<void> | null = null;
  private backendInfo: Promise<PluginBackendInfo> | null = null;

  /** True when the vSphere Client's SDK is absent and the URL stands in for it. */
  readonly standalone = this.vsphere === null;

  /** Resolves once the SDK may be used; the vSphere Client rejects calls made before that. */
  initialize(): Promise<void> {
    this.initialized ??= new Promise<void>((resolve) => this.sdk.initialize(resolve));
    return this.initialized;
  }

  contextObjects(): readonly ContextObject[] {
    return this.sdk.app.getContextObjects();
  }

  /** The VM a VM tab or VM action was opened for, or null when the context holds none. */
  contextVm(): VsphereObjectRef | null {
    return findContextVm(this.contextObjects().map((object) => object.id));
  }

  /** Asked for on every call because the vSphere Client renews the token during a session. */
  sessionToken(): Promise<string> {
    return new Promise<string>((resolve) => this.sdk.app.getSessionInfo((info) => resolve(info.sessionToken)));
  }

  pluginBackendInfo(): Promise<PluginBackendInfo> {
    this.backendInfo ??= new Promise<PluginBackendInfo>((resolve) => this.sdk.app.getPluginBackendInfo(resolve));
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
}
