/**
 * Copy to object storage: after each backup, the VM's restore points go to a copy of the store on
 * S3-compatible storage with Object Lock, locked there for the policy's own retention
 * (coordinator.ts; the copy itself is store/object-copy.ts).
 */
export { startObjectCopy, OBJECT_COPY_JOB_KIND } from './coordinator.js';
export type { CopyRule, ObjectCopies, ObjectCopyJobParams, ObjectCopyJobResult, StartObjectCopyOptions } from './coordinator.js';
