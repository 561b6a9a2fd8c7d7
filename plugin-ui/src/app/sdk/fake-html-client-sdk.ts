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
  PluginTheme,
} from './html-client-sdk-api';
import { VSPHERE_CLIENT_SDK } from './html-client-sdk';

export const FAKE_VC_GUID = '5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37';
export const FAKE_VM_ID = `urn:vmomi:VirtualMachine:vm-58:${FAKE_VC_GUID}`;

/**
 * A vSphere Client SDK for specs: the state a test sets is what the views read, and every call the
 * UI makes back into the vSphere Client is recorded for the test to check.
 */
export class FakeHtmlClientSdk implements HtmlClientSdk {
  contextObjects: ContextObject[] = [{ id: FAKE_VM_ID }];
  sessionToken = 'fake-session-token';
  backendInfo: PluginBackendInfo = {
    allPluginBackendServers: [{ proxiedBaseUrl: '/ui/remote-plugins/lifeline/server/', type: 'LIFELINE_SERVER' }],
  };
  theme: PluginTheme = { name: 'light' };
  locale = 'en-US';
  /** When false, initialize() waits until the test calls completeInitialize(). */
  initializeAtOnce = true;

  readonly navigations: NavigationOptions[] = [];
  readonly modalsOpened: ModalConfig[] = [];
  readonly modalResults: unknown[] = [];
  readonly modalOptions: DynamicModalConfig[] = [];

  private readonly themeListeners: ((theme: PluginTheme) => void)[] = [];
  private readonly pendingInitialize: (() => void)[] = [];

  initialize(callback: () => void): void {
    if (this.initializeAtOnce) {
      void Promise.resolve().then(callback);
    } else {
      this.pendingInitialize.push(callback);
    }
  }

  completeInitialize(): void {
    this.pendingInitialize.splice(0).forEach((callback) => callback());
  }

  /** What the vSphere Client does when the user switches its theme. */
  changeTheme(name: string): void {
    this.theme = { name };
    this.themeListeners.forEach((listener) => listener(this.theme));
  }

  readonly app: HtmlClientSdkApp = {
    getContextObjects: () => this.contextObjects.map((object) => ({ ...object })),
    getSessionInfo: (callback) => void Promise.resolve().then(() => callback({ sessionToken: this.sessionToken })),
    getPluginBackendInfo: (callback) => void Promise.resolve().then(() => callback(this.backendInfo)),
    getClientInfo: (): ClientInfo => ({ type: 'html', version: '8.0.3' }),
    getClientLocale: () => this.locale,
    getTheme: () => this.theme,
    navigateTo: (options) => void this.navigations.push(options),
  };

  readonly event: HtmlClientSdkEvent = {
    onThemeChanged: (callback) => void this.themeListeners.push(callback),
  };

  readonly modal: HtmlClientSdkModal = {
    open: (config) => void this.modalsOpened.push(config),
    close: (result) => void this.modalResults.push(result),
    setOptions: (options) => void this.modalOptions.push(options),
    getCustomData: () => null,
  };
}

export function provideFakeHtmlClientSdk(fake: FakeHtmlClientSdk): Provider[] {
  return [{ provide: VSPHERE_CLIENT_SDK, useValue: fake }];
}
