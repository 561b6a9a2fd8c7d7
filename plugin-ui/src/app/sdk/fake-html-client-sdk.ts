import type { Provider } from '@angular/core';

import type {
  ClientInfo,
  ContextObject,
  DynamicModalConfig,
  HtmlClientSdk,
  HtmlClientSdkApp,
  HtmlClientSdkEvent,
  HtmlClientSdkModal,
  ModalConfig,
  NavigationOptions,
  PluginBackendInfo,
  PluginDateTimeFormatOptions,
  PluginTheme,
} from './html-client-sdk-api';
import { VSPHERE_CLIENT_SDK } from './html-client-sdk';

export const FAKE_VC_GUID = '5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37';
export const FAKE_VM_ID = `urn:vmomi:VirtualMachine:vm-58:${FAKE_VC_GUID}`;

/**
 * A vSphere Client SDK for specs, written after VMware's "vSphere HTML Client SDK - Javascript API
 * for remote plug-ins" (docs/Javascript-API-Remote.html of the vSphere Client SDK 8.0) and its
 * "Bootstrapping the JavaScript API" section:
 * - before initialize() has called back, the object has only `initialize`, `isInitialized` and
 *   `getProxiedPluginServerOrigin`; `app`, `event` and `modal` are added when it calls back;
 * - `app.getSessionInfo` and `app.getPluginBackendInfo` answer through callbacks, later, and call
 *   back with null "in case of an exception" (set `sessionToken` or `backendInfo` to null);
 * - `modal.open` takes the documented options only (url, title, accessibilityTitle, size,
 *   closable, onClosed, contextObjects, customData).
 * The state a test sets is what the views read, and every call the UI makes back into the vSphere
 * Client is recorded for the test to check.
 */
export class FakeHtmlClientSdk implements HtmlClientSdk {
  contextObjects: ContextObject[] = [{ id: FAKE_VM_ID }];
  sessionToken: string | null = 'fake-session-token';
  backendInfo: PluginBackendInfo | null = {
    allPluginBackendServers: [{ proxiedBaseUrl: '/ui/remote-plugins/lifeline/server/', type: 'MANIFEST_SERVER' }],
  };
  proxiedOrigin = 'https://vcenter.example.com/plugins/com.lifeline.vsphere~0.1.0.0~1/lifeline.example.com-8443';
  theme: PluginTheme = { name: 'light' };
  locale = 'en-US';
  /** The vSphere date format formatDateTime applies (set before initialize); null: a client without it. */
  dateFormat: ((instant: number, options?: PluginDateTimeFormatOptions) => string) | null = null;
  /** When false, initialize() waits until the test calls completeInitialize(). */
  initializeAtOnce = true;

  readonly navigations: NavigationOptions[] = [];
  readonly modalsOpened: ModalConfig[] = [];
  readonly modalResults: unknown[] = [];
  readonly modalOptions: DynamicModalConfig[] = [];
  /** How often the UI asked each callback API. */
  readonly asked = { sessionInfo: 0, backendInfo: 0 };

  /** Added by initialize(), as the vSphere Client adds them. */
  app?: HtmlClientSdkApp;
  event?: HtmlClientSdkEvent;
  modal?: HtmlClientSdkModal;

  private readonly themeListeners: ((theme: PluginTheme) => void)[] = [];
  private readonly refreshListeners: (() => void)[] = [];
  private readonly pendingInitialize: (() => void)[] = [];

  initialize(callback: () => void): void {
    this.pendingInitialize.push(callback);
    if (this.initializeAtOnce) {
      void Promise.resolve().then(() => this.completeInitialize());
    }
  }

  isInitialized(): boolean {
    return this.app !== undefined;
  }

  getProxiedPluginServerOrigin(): string {
    return this.proxiedOrigin;
  }

  completeInitialize(): void {
    const format = this.dateFormat;
    // A vSphere Client before 7.0 U1 has no formatDateTime at all.
    this.app = format === null ? this.appInterface : { ...this.appInterface, formatDateTime: (instant, options) => format(instant, options) };
    this.event = this.eventInterface;
    this.modal = this.modalInterface;
    this.pendingInitialize.splice(0).forEach((callback) => callback());
  }

  /** What the vSphere Client does when the user switches its theme. */
  changeTheme(name: string): void {
    this.theme = { name };
    this.themeListeners.forEach((listener) => listener(this.theme));
  }

  /** What the vSphere Client does when the user clicks its refresh button. */
  globalRefresh(): void {
    this.refreshListeners.forEach((listener) => listener());
  }

  private readonly appInterface: HtmlClientSdkApp = {
    getContextObjects: () => this.contextObjects.map((object) => ({ ...object })),
    getSessionInfo: (callback) => {
      this.asked.sessionInfo += 1;
      void Promise.resolve().then(() => callback(this.sessionToken === null ? null : { sessionToken: this.sessionToken }));
    },
    getPluginBackendInfo: (callback) => {
      this.asked.backendInfo += 1;
      void Promise.resolve().then(() => callback(this.backendInfo));
    },
    getClientInfo: (): ClientInfo => ({ type: 'HTML', version: '8.0.3' }),
    getClientLocale: () => this.locale,
    getTheme: () => this.theme,
    navigateTo: (options) => void this.navigations.push(options),
  };

  private readonly eventInterface: HtmlClientSdkEvent = {
    onThemeChanged: (callback) => void this.themeListeners.push(callback),
    onGlobalRefresh: (callback) => void this.refreshListeners.push(callback),
  };

  private readonly modalInterface: HtmlClientSdkModal = {
    open: (config) => void this.modalsOpened.push(config),
    close: (result) => void this.modalResults.push(result),
    setOptions: (options) => void this.modalOptions.push(options),
    getCustomData: () => null,
  };
}

export function provideFakeHtmlClientSdk(fake: FakeHtmlClientSdk): Provider[] {
  return [{ provide: VSPHERE_CLIENT_SDK, useValue: fake }];
}
