/**
 * The vSphere adapter: Lifeline's typed access to a vCenter through the vim25 SOAP API (node-soap
 * with a trimmed WSDL kept in wsdl/) and vCenter's datastore file access. TLS is pinned to the
 * configured SHA-256 thumbprint; sessions log in, stay alive and log in again by themselves.
 * It knows nothing of the backup store; use cases join the two.
 * An adapter of the server's layers; how it fits with the rest: docs/architecture.md.
 */
export { connectVcenter, openVcenter, Vcenter, type VcenterLogin, type VcenterOptions } from './vcenter.js';
export { PinnedAgent } from './pinned-agent.js';
export { parseVcenterUrl, type AboutInfo, type PasswordSource, type SessionUser } from './vim-session.js';
export {
  DatastoreHttpError,
  ThumbprintMismatchError,
  VimConnectionError,
  VimFaultError,
  VimLoginError,
  VimProtocolError,
  VimTaskError,
  isNotAuthenticated,
  isVimFault,
} from './vim-errors.js';
export type { MoRef } from './vim-values.js';
export type { DatacenterInfo, DatastoreInfo, Inventory, NetworkInfo, PowerState, ToolsState, VmInfo, VmSummary } from './inventory.js';
export type { DiskBus, DiskController, DiskMode, ExistingDiskSpec, NewDiskSpec, NicSpec, NicType, ScsiControllerSpec, ScsiControllerType, VmDisk, VmNic } from './virtual-devices.js';
export type {
  ChangedAreasQuery,
  CreateVmConfig,
  DiskArea,
  ReconfigureSpec,
  RemoveSnapshotOptions,
  SnapshotNode,
  SnapshotOptions,
  SnapshotTree,
  VmPlacement,
} from './vm-operations.js';
export type { TaskOptions } from './tasks.js';
export type { NasDatastore, NasVolume } from './nas-datastores.js';
export type { ByteRange, DatastoreFile } from './datastore-files.js';
export { datastoreFileUrl } from './datastore-files.js';
export { formatDatastorePath, parseDatastorePath, type DatastorePath } from './datastore-path.js';
export type { Extension, ExtensionClient, ExtensionDescription, ExtensionEventType, ExtensionPrivilege, ExtensionResource, ExtensionServer } from './extensions.js';
export type { VcenterEvent, VcenterEventSeverity, VmEventToPost } from './vcenter-events.js';
