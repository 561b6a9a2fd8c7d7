/**
 * Errors of the recovery use case. A request that the state of a VM forbids right now uses the
 * API's shared codes ('conflict', 'not-found', 'validation'); failures of the work itself carry
 * codes of their own, which a job's error shows. Messages name the restore point, the disk and
 * the chunk or file concerned.
 */
import { LifelineError } from '../errors/index.js';

export type RecoveryErrorCode =
  /** A chunk of the point failed verification while it was read; the restore stopped. */
  | 'restore-chunk-corrupt'
  /** A chunk the point references is not in the repository. */
  | 'restore-chunk-missing'
  /** The datastore upload of a restored disk failed. */
  | 'restore-upload-failed'
  /** The VM's disks are not what the operation expects (changed since the point, or by hand). */
  | 'restore-vm-changed'
  /** Undoing a failed operation failed too; what is left is named in the message. */
  | 'restore-rollback-failed'
  /** The request is sound but the VM's state forbids it now. */
  | 'conflict'
  | 'not-found'
  | 'validation';

export class RecoveryError extends LifelineError {
  declare readonly code: RecoveryErrorCode;

  constructor(code: RecoveryErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
