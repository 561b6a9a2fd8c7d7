import type {
  ClientInfo,
  ContextObject,
  DynamicModalConfig,
  HtmlClientSdkBootstrap,
  HtmlClientSdkInterfaces,
  JsonValue,
  ModalConfig,
  NavigationOptions,
  PluginBackendInfo,
  PluginTheme,
  SessionInfo,
} from './html-client-sdk-api';

/**
 * Lifeline's stand-in for `htmlClientSdk` when the UI runs outside the vSphere Client: opened
 * straight from the Lifeline server for a demo, or during development. The page URL plays the
 * vSphere Client's part:
 *
 *   index.html?objectId=urn:vmomi:VirtualMachine:vm-58:<vCenter GUID>&theme=dark#/vm/protection
 *
 * There is no vSphere session here, so the session token is empty and only the server's
 * unauthenticated endpoints answer. The API is reached on the page's own origin.
 */

/** The little of the browser window the stand-in needs, so tests can give it a fake one. */
export interface StandaloneHost {
  /** The query string of the page URL, with or without the leading `?`. */
  readonly search: string;
  readonly language: string;
  openWindow(url: string): void;
  closeWindow(): void;
  setTitle(title: string): void;
  warn(message: string): void;
}

export const STANDALONE_CLIENT_TYPE = 'lifeline-standalone';

export function browserStandaloneHost(win: Window): StandaloneHost {
  return {
    search: win.location.search,
    language: win.navigator.language,
    openWindow: (url) => void win.open(url, '_blank', 'noopener'),
    closeWindow: () => win.close(),
    setTitle: (title) => {
      win.document.title = title;
    },
    warn: (message) => console.warn(message),
  };
}

export function createStandaloneSdk(host: StandaloneHost): HtmlClientSdkBootstrap & HtmlClientSdkInterfaces {
  const query = new URLSearchParams(host.search);
  const contextObjects: ContextObject[] = query.getAll('objectId').map((id) => ({ id }));
  const theme: PluginTheme = { name: query.get('theme') === 'dark' ? 'dark' : 'light' };
  const locale = query.get('locale') ?? host.language;

  return {
    // Asynchronous like the real one, so code that works here does not rely on a synchronous call.
    initialize: (callback: () => void) => void Promise.resolve().then(callback),
    app: {
      getContextObjects: () => contextObjects.map((object) => ({ ...object })),
      getSessionInfo: (callback: (info: SessionInfo) => void) => callback({ sessionToken: '' }),
      getPluginBackendInfo: (callback: (info: PluginBackendInfo) => void) =>
        callback({ allPluginBackendServers: [{ proxiedBaseUrl: '', type: STANDALONE_CLIENT_TYPE }] }),
      getClientInfo: (): ClientInfo => ({ type: STANDALONE_CLIENT_TYPE, version: '' }),
      getClientLocale: () => locale,
      getTheme: () => theme,
      navigateTo: (options: NavigationOptions) =>
        host.warn(`Lifeline runs outside the vSphere Client; it cannot open the view ${options.targetViewId}.`),
    },
    event: {
      // The theme comes from the URL and so cannot change while the page is open.
      onThemeChanged: () => undefined,
    },
    modal: {
      open: (config: ModalConfig) => host.openWindow(config.url),
      close: (_result?: JsonValue) => host.closeWindow(),
      setOptions: (options: DynamicModalConfig) => {
        if (options.title !== undefined) {
          host.setTitle(options.title);
        }
      },
      getCustomData: () => null,
    },
  };
}
