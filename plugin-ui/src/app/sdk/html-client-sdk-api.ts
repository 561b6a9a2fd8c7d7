/**
 * The part of the vSphere Client's remote plugin JavaScript API (the `htmlClientSdk` global that
 * `/api/ui/htmlClientSdk.js` defines) that Lifeline uses, typed after VMware's "vSphere HTML Client
 * SDK - Javascript API for remote plug-ins" (the SDK's docs/Javascript-API-Remote.html) and the
 * "Bootstrapping the JavaScript API" page of "Developing Remote Plug-ins with the vSphere Client SDK".
 * The vSphere Client owns this contract; these declarations only describe it, so a field the client
 * may omit is optional here.
 *
 * The object has two shapes. Before `initialize()` has called back, only `initialize`,
 * `isInitialized` and `getProxiedPluginServerOrigin` exist (HtmlClientSdkBootstrap); the `app`,
 * `event` and `modal` interfaces are added once it has (HtmlClientSdkInterfaces).
 */

/** A JSON value as the vSphere Client passes it through `customData` between frames. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An object the view was opened for. `id` reads `urn:vmomi:<Type>:<moref>:<vCenter GUID>`. */
export interface ContextObject {
  readonly id: string;
}

export interface SessionInfo {
  /** Goes into `vmware-api-session-id` on every call to the Lifeline server. */
  readonly sessionToken: string;
}

/** One of the plugin's backend servers, reached through the vCenter reverse proxy. */
export interface PluginBackendServer {
  /** A path on the vSphere Client's own origin that the reverse proxy maps to that server. */
  readonly proxiedBaseUrl: string;
  readonly type: string;
}

export interface PluginBackendInfo {
  readonly allPluginBackendServers: readonly PluginBackendServer[];
  /** The servers that serve objects of one vCenter, keyed by that vCenter's GUID. */
  readonly backendServersPerVc?: Readonly<Record<string, readonly PluginBackendServer[]>>;
}

export interface ClientInfo {
  readonly type: string;
  readonly version: string;
}

export interface PluginTheme {
  /** `light` or `dark` today; a later vSphere Client may add others. */
  readonly name: string;
}

export interface NavigationOptions {
  readonly targetViewId: string;
  readonly objectId?: string;
  readonly customData?: JsonValue;
}

export interface ModalSize {
  readonly width: number;
  readonly height: number;
}

export interface ModalConfig {
  /** The plugin page to show in the modal, relative to the plugin's manifest location. */
  readonly url: string;
  readonly title?: string;
  readonly accessibilityTitle?: string;
  readonly size?: ModalSize;
  readonly closable?: boolean;
  readonly contextObjects?: readonly ContextObject[];
  readonly customData?: JsonValue;
  readonly onClosed?: (result?: JsonValue) => void;
}

export interface DynamicModalConfig {
  readonly title?: string;
  readonly accessibilityTitle?: string;
  readonly height?: number;
  readonly closable?: boolean;
  readonly onClosed?: (result?: JsonValue) => void;
}

/** The documented options of `app.formatDateTime` (vSphere 7.0 U1+, `date.time.format` requirement). */
export interface PluginDateTimeFormatOptions {
  readonly format?: 'DATE' | 'TIME' | 'DATE_AND_TIME';
}

export interface HtmlClientSdkApp {
  getContextObjects(): ContextObject[];
  /** Calls back with null "in case of an exception", such as a session that is gone. */
  getSessionInfo(callback: (info: SessionInfo | null) => void): void;
  /** Calls back with null "in case of an exception". */
  getPluginBackendInfo(callback: (info: PluginBackendInfo | null) => void): void;
  getClientInfo(): ClientInfo;
  getClientLocale(): string;
  getTheme(): PluginTheme;
  navigateTo(options: NavigationOptions): void;
  /** Formats an instant (ms since the epoch) in the user's vSphere date format; absent before 7.0 U1. */
  formatDateTime?(instant: number, options?: PluginDateTimeFormatOptions): string;
}

export interface HtmlClientSdkEvent {
  onThemeChanged(callback: (theme: PluginTheme) => void): void;
  /** The vSphere Client's global refresh button; absent in clients that lack it. */
  onGlobalRefresh?(callback: () => void): void;
  /** The user changed the vSphere date and time format; absent before 7.0 U1. */
  onDateTimeFormatChanged?(callback: () => void): void;
}

export interface HtmlClientSdkModal {
  open(config: ModalConfig): void;
  close(result?: JsonValue): void;
  setOptions(options: DynamicModalConfig): void;
  getCustomData(): JsonValue | null;
}

/** What `htmlClientSdk` offers before it is initialized: nothing else may be called yet. */
export interface HtmlClientSdkBootstrap {
  initialize(callback: () => void): void;
  isInitialized?(): boolean;
  /** The origin (and path prefix) under which the vSphere Client proxies the plugin server. */
  getProxiedPluginServerOrigin?(): string;
}

/** The interfaces the vSphere Client adds to `htmlClientSdk` once `initialize()` has called back. */
export interface HtmlClientSdkInterfaces {
  readonly app: HtmlClientSdkApp;
  readonly event: HtmlClientSdkEvent;
  readonly modal: HtmlClientSdkModal;
}

/** The global as a whole: the interfaces appear on the same object after initialization. */
export type HtmlClientSdk = HtmlClientSdkBootstrap & Partial<HtmlClientSdkInterfaces>;
