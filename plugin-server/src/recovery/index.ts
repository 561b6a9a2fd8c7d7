// Lifeline's recovery use case: restoring a point's disks to a datastore (the restore engine), a
// temporary revert of a VM with cancel and make-permanent, a new VM from a point, and
// clone-and-attach of a point's disks to any VM. Every path runs as a 'restore' job whose
// interrupted-job clean-up finishes or rolls back what a crash left.
// An use case of the server's layers; how it fits with the rest: docs/architecture.md.
export { RecoveryError } from './recovery-error.js';
export type { RecoveryErrorCode } from './recovery-error.js';
export type { RecoveryVcenter, RecoveryVcenterProvider } from './recovery-vcenter.js';
export { restoreDiskToDatastore, deleteIfPresent } from './datastore-restore.js';
export type { DiskTarget, RestoredDisk, RestoreToDatastoreArgs } from './datastore-restore.js';
export { flatDescriptor, flatFileOf, diskFilesOf } from './vmdk.js';
export { SqliteRecoveryStore } from './recovery-store.js';
export type { AttachedDisk, AttachmentRecord, AttachmentState, DatacenterRef, RecoveryStore, RevertDisk, RevertRecord, RevertState } from './recovery-store.js';
export type { PointSource, RecoveryContext, RecoveryDeps } from './recovery-steps.js';
export { runRevert, runCancelRevert, runCommitRevert, resolveRevert, restoreFolder } from './revert.js';
export type { RevertRequest, RevertResult } from './revert.js';
export { runAttach, runDetach, resolveAttachment, attachmentFolder } from './attach.js';
export type { AttachRequest, AttachResult } from './attach.js';
export { runInstantiate, resolveInstantiate, planDevices, validateInstanceName, storedConfig, resolveTargets } from './new-instance.js';
export type { InstantiateCheckpoint, InstantiateRequest, InstantiateResult, InstantiateTargets, StoredConfig } from './new-instance.js';
export { freeScsiSlots, isInFolder } from './recovery-steps.js';
export { createRestoreJobHandler, RESTORE_JOB_KIND } from './restore-job.js';
export type { RestoreJobParams, RestoreOperation } from './restore-job.js';
export { RecoveryService } from './recovery-service.js';
export type { PointSummary, RecoveryServiceOptions } from './recovery-service.js';
