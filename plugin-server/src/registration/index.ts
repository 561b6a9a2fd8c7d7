/**
 * Lifeline's registration with vCenter as a vSphere Client remote plugin: the extension record
 * (planned without side effects), the server certificate it pins, and register / update /
 * unregister / status against a vCenter's ExtensionManager; and the plugin manifest it points to.
 * An use case of the server's layers; how it fits with the rest: docs/architecture.md.
 */
export {
  EXTENSION_COMPANY,
  EXTENSION_DESCRIPTION,
  EXTENSION_KEY,
  LIFELINE_PRIVILEGES,
  PRIVILEGE_RESOURCE_MODULE,
  checkCertificatePem,
  checkExtensionVersion,
  checkPluginUrl,
  extensionEventTypes,
  extensionVersion,
  normalizeServerThumbprint,
  planExtension,
  privilegeResources,
  type ExtensionPlanInput,
  type LifelinePrivilege,
} from './extension-plan.js';
export {
  ServerThumbprintMismatchError,
  ServerThumbprintUnconfirmedError,
  derToPem,
  ServerUnreachableError,
  probeServer,
  resolveServerThumbprint,
  type ProbeServer,
  type ResolvedServerThumbprint,
  type ServerProbe,
} from './server-identity.js';
export {
  AlreadyRegisteredError,
  NotRegisteredError,
  registerLifeline,
  registrationStatus,
  unregisterLifeline,
  type ExtensionManager,
  type RegisterResult,
  type RegistrationStatus,
} from './registration.js';
export {
  MANIFEST_VERSION,
  REFERENCE_LOCALE,
  checkPluginManifest,
  renderPluginManifest,
  type ManifestCheckInput,
  type ManifestProblem,
  type ManifestProblemKind,
  type MessageTable,
  type RenderOptions,
} from './plugin-manifest.js';
