/**
 * Errors of the backup repository. Each carries a stable code that the API and the CLI map to a
 * status or an exit code; messages name the object or restore point concerned and never carry key
 * material or passphrases.
 */
import { LifelineError, type StoreCode } from '../errors/index.js';

/** The repository's codes; errors/codes.ts says what each means. */
export type StoreErrorCode = StoreCode;

export class StoreError extends LifelineError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** A chunk that failed to decode or verify, named by its id so verify can report it. */
export class CorruptChunkError extends StoreError {
  readonly digest: string;

  constructor(digest: string, reason: string) {
    super('chunk-corrupt', `chunk ${digest} is corrupt: ${reason}`, { digest, reason });
    this.digest = digest;
  }
}
