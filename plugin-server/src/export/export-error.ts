/**
 * Errors of disk exports. A damaged restore point is named with the chunk that failed, the disk
 * and the byte range it covers, so an administrator can go straight to `lifeline repo verify` and
 * to the point's other copies; messages never carry key material.
 */
import { LifelineError, type ExportCode } from '../errors/index.js';

/** Export's own codes (errors/codes.ts says what each means), and a chunk that failed to decode. */
export type ExportErrorCode = ExportCode | 'chunk-corrupt';

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
