/**
 * The part of the vSphere Client's remote plugin JavaScript API (the `htmlClientSdk` global that
 * `/api/ui/htmlClientSdk.js` defines) that Lifeline uses, typed. The vSphere Client owns this
 * contract; these declarations only describe it, so a field the client may omit is optional here.
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

export interface HtmlClientSdkApp {
  getContextObjects(): ContextObject[];
  getSessionInfo(callback: (info: SessionInfo) => void): void;
  getPluginBackendInfo(callback: (info: PluginBackendInfo) => void): void;
  getClientInfo(): ClientInfo;
  getClientLocale(): string;
  getTheme(): PluginTheme;
  navigateTo(options: NavigationOptions): void;
}

export interface HtmlClientSdkEvent {
  onThemeChanged(callback: (theme: PluginTheme) => void): void;
}

export interface HtmlClientSdkModal {
  open(config: ModalConfig): void;
  close(result?: JsonValue): void;
  setOptions(options: DynamicModalConfig): void;
  getCustomData(): JsonValue | null;
}

export interface HtmlClientSdk {
  initialize(callback: () => void): void;
  readonly app: HtmlClientSdkApp;
  readonly event: HtmlClientSdkEvent;
  readonly modal: HtmlClientSdkModal;
}
