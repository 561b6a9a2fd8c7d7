/**
 * Errors of the backup repository. Each carries a stable code that the API and the CLI map to a
 * status or an exit code; messages name the object or restore point concerned and never carry key
 * material or passphrases.
 */
import { LifelineError } from '../errors/index.js';

export type StoreErrorCode =
  /** An object the caller named does not exist in the backend. Permanent. */
  | 'object-not-found'
  /** A retention lock forbids deleting or altering the object or restore point before a time. */
  | 'retention-locked'
  /** A request to shorten a retention lock; locks only ever grow. */
  | 'retention-shorten-refused'
  /** The clock reads earlier than a time the repository already recorded. */
  | 'clock-went-backwards'
  /** A chunk did not decode or its digest did not match its id. */
  | 'chunk-corrupt'
  /** A fixed index whose header, size or checksum is wrong. */
  | 'index-invalid'
  /** A restore point manifest that fails its authentication or does not parse. */
  | 'manifest-invalid'
  /** The passphrase does not unlock any key of the repository. */
  | 'wrong-passphrase'
  /** An encrypted repository was opened without a passphrase. */
  | 'passphrase-required'
  /** The directory holds no repository, or one this version cannot read. */
  | 'not-a-repository'
  | 'repository-exists'
  | 'unsupported-format'
  /** Another maintenance operation holds the repository (one GC at a time). */
  | 'repository-busy'
  /** The catalog file exists but cannot be opened as a catalog. */
  | 'catalog-unreadable'
  /** A catalog row says something about a restore point that its sealed manifest does not. */
  | 'catalog-integrity'
  | 'point-not-found'
  | 'invalid-range'
  | 'invalid-key'
  /** The storage has no room for a write, or less than the room kept free for maintenance. */
  | 'store-full'
  | 'backend-io';

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
