/**
 * Errors of the recovery use case. A request that the state of a VM forbids right now uses the
 * API's shared codes ('conflict', 'not-found', 'validation'); failures of the work itself carry
 * codes of their own, which a job's error shows. Messages name the restore point, the disk and
 * the chunk or file concerned.
 */
import { LifelineError, type RecoveryCode } from '../errors/index.js';

/** Recovery's own codes (errors/codes.ts says what each means) and the common ones it uses. */
export type RecoveryErrorCode = RecoveryCode | 'conflict' | 'not-found' | 'validation';

export class RecoveryError extends LifelineError {
  declare readonly code: RecoveryErrorCode;

  constructor(code: RecoveryErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
