/**
 * Errors of disk exports. A damaged restore point is named with the chunk that failed, the disk
 * and the byte range it covers, so an administrator can go straight to `lifeline repo verify` and
 * to the point's other copies; messages never carry key material.
 */
import { LifelineError } from '../errors/index.js';

export type ExportErrorCode =
  /** A chunk the point references failed to decode or to verify against its id. */
  | 'chunk-corrupt'
  /** A chunk the point references is not in the repository. */
  | 'chunk-missing'
  /** The disk is too large for the format asked for. */
  | 'export-too-large';

export class ExportError extends LifelineError {
  declare readonly code: ExportErrorCode;

  constructor(code: ExportErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

/** Whether an error says that the restore point itself is damaged (as opposed to I/O or an abort). */
export function isDamagedPointError(err: unknown): err is ExportError {
  return err instanceof ExportError && (err.code === 'chunk-corrupt' || err.code === 'chunk-missing');
}
