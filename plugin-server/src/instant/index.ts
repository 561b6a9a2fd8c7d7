// Lifeline's instant recovery use case: a VM runs from a restore point published on Lifeline's
// NFS server (nfs/) through an NFS datastore in vCenter, and is then moved home while it runs
// (make permanent) or put back as it was (cancel).
// A use case of the server's layers; how it fits with the rest: docs/architecture.md.
export { runInstantRevert, runInstantCancel, runInstantCommit, settleInstantRevert } from './instant-revert.js';
export { InstantRevertService, INSTANT_REVERT_JOB_KIND, startInstantRevert } from './instant-revert-job.js';
export type { InstantRevertJobParams, InstantRevertOptions } from './instant-revert-job.js';
export type { InstantContext, InstantDeps, InstantPublications, InstantRevertRequest } from './instant-revert.js';
export { InstantStore } from './instant-store.js';
export type { InstantDisk, InstantRevertRecord, InstantState } from './instant-store.js';
export type { InstantVcenter } from './instant-vcenter.js';
export { datastoreNameFor, ensureNfsDatastore, releaseNfsDatastore } from './nfs-datastore.js';
export type { NfsExport } from './nfs-datastore.js';
export { runInstantNewInstance, runInstantAttach, runInstantMigrate, runInstantDiscard, resolveInstantRun, requireRun, migrationTarget } from './instant-run.js';
export type { InstantAttachRequest, InstantNewRequest, InstantRunContext, InstantRunDeps, InstantRunVcenter } from './instant-run.js';
export { InstantRunStore } from './instant-runs.js';
export type { InstantRunDisk, InstantRunKind, InstantRunRecord, InstantRunState } from './instant-runs.js';
export { createInstantRunJobHandler, InstantRunService, INSTANT_RUN_JOB_KIND, startInstantRuns } from './instant-run-job.js';
export type { InstantRunJobParams, InstantRunServiceOptions, InstantRunsOptions } from './instant-run-job.js';
export { describePublicationUse, publicationUseOf, reconcilePublications } from './publication-use.js';
export type { OwnedPublications, PublicationUse, PublicationUser } from './publication-use.js';
