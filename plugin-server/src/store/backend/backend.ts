/**
 * The Backend is where the repository's bytes live: a flat namespace of immutable objects with
 * retention locks. The local filesystem implementation is the embedded default, the in-memory one
 * serves tests, and the S3 one (s3-backend.ts) keeps objects in a bucket with Object Lock; all of
 * them pass the one conformance suite in test/store/backend-conformance.ts.
 *
 * Nothing above this interface touches files. Extra behaviour (retries, fault injection) is a
 * wrapper around it, stacked in one place (backend-stack.ts).
 */
import { StoreError } from '../store-error.js';

export interface ByteRange {
  /** First byte, from the start of the object. */
  offset: number;
  length: number;
}

export interface ObjectInfo {
  size: number;
  /** Until when (ms since the epoch) the object may be neither deleted nor replaced; 0 = never locked. */
  retainUntil: number;
  /**
   * When the object was created or its lock last changed (ms). Garbage collection spares objects
   * touched after its cutoff, so a writer that re-uses an existing chunk protects it by extending
   * its lock.
   */
  touchedAt: number;
}

export interface ListedObject {
  key: string;
  size: number;
}

export interface PutOptions {
  signal: AbortSignal;
  /** Lock the new object until this time (ms); the lock is in place the moment it becomes visible. */
  retainUntil?: number;
  /**
   * The key names the content (a chunk's digest), so a second put of the key can only write the
   * same bytes again. A backend that cannot refuse a second create anyway (S3 with Object Lock)
   * then writes without looking for the object first, and may report `created: true` for a key
   * that existed; the key still reads as one whole body. Backends that can refuse a second create
   * keep to put-if-absent.
   */
  contentAddressed?: boolean;
  /**
   * The new object becomes visible only once this settles fulfilled (a check of the bytes still
   * under way, such as a replicated chunk's verification). A backend may write the bytes
   * meanwhile where no reader sees them; if it rejects, nothing is created and put rejects with
   * its reason. An object already under the key is reported as before (`created: false`) without
   * waiting: the caller awaits its check itself.
   */
  vouchedBy?: Promise<unknown>;
}

/** Room of the storage under a backend, in bytes. */
export interface SpaceInfo {
  totalBytes: number;
  /** What this process may still write (for a file system: the blocks available to it). */
  freeBytes: number;
}

export interface PutResult {
  /** False when an object already existed under the key; it was left untouched. */
  created: boolean;
}

/**
 * The storage contract. Every implementation satisfies all of it:
 *
 * Keys — '/'-separated names whose segments match [a-z0-9][a-z0-9._-]*; anything else is rejected
 *   with 'invalid-key'. A key is never a prefix directory of another key ("a" and "a/b" do not
 *   coexist; the repository never asks for that).
 * put — put-if-absent. Readers see either no object or the complete bytes, never a part,
 *   even if the process dies mid-write or the signal aborts. When an object exists under the key,
 *   put leaves it untouched and resolves { created: false }: objects are immutable, nothing is
 *   ever overwritten. When put resolves { created: true } the object is durable: it survives a
 *   power loss (local: data fsync, rename by link, directory fsync).
 *   Atomic against concurrent puts of the same key only where the storage can refuse a second
 *   create (local, memory): there exactly one of them resolves { created: true }. An S3 bucket
 *   with Object Lock is always versioned, and a versioned bucket cannot refuse a second PutObject
 *   (Ceph RGW ignores If-None-Match there), so two puts racing on one key may both write and both
 *   report created; the key then reads as one of their whole bodies and the other stays as an
 *   older version. With `contentAddressed` (chunks) S3 does not look for the object before it
 *   writes, so such a put may report created for a key that existed a moment before. The repository never depends on the race's outcome: racing puts happen only
 *   for chunks, whose key is the digest of their content, so any whole body is right; manifests,
 *   indexes and key files are named by fresh random ids and written by one process; the config
 *   is written once by init, which refuses a location that already holds objects.
 * get — returns the stored bytes, or exactly `range.length` bytes from `range.offset`; a range
 *   outside the object is 'invalid-range'. The returned array belongs to the caller. With `into`
 *   the bytes land there when they fit, and a view of it is returned (saves an allocation).
 * stat — size, retention and touch time, or null when the object does not exist.
 * list — yields every object whose key starts with the prefix, each once, in no particular order.
 *   Objects put or deleted while the listing runs may or may not appear.
 * delete — removes the object and resolves true, or false when there was none (so recovery can
 *   repeat it). While now < retainUntil it is refused with 'retention-locked' and the object stays.
 *   (S3: every version of the key down to the last delete marker, each by its VersionId.)
 * lock — raises the object's retainUntil to `until` if that is later and resolves the effective
 *   time; a lock is never shortened (an earlier `until` changes nothing). A missing object is
 *   'object-not-found'. Lock changes and deletes of one key are serialized, also across processes
 *   sharing a repository, so a delete never slips between a lock check and its removal.
 * quarantine — moves an object aside for good, to the first free key of `<key>.bad`,
 *   `<key>.bad-2`, `<key>.bad-3`, … (see quarantineKey), and resolves that key; nothing there is
 *   ever overwritten. The object keeps its bytes and its retention lock under the new key — it is
 *   not a deletion, and a locked object stays exactly as undeletable as it was — while its old key
 *   reads as absent, so a put can create a good object there again. A missing object is
 *   'object-not-found'. Serialized with lock and delete of the key. (S3 with Object Lock: copy
 *   with the same retention, then a delete marker on the old key; the locked version stays.)
 * space — the storage's size and free room, or null when it has no fixed bound (memory, S3).
 * Errors — 'object-not-found', 'invalid-key', 'invalid-range' and 'retention-locked' are permanent;
 *   'store-full' (no room left for a put) lasts until space is freed; 'backend-io' may be
 *   transient (the stack retries it, retrying-backend.ts); 'backend-refused' is a failure that
 *   trying again cannot mend (no permission, a read-only file system, too many quarantined copies). A put that fails for want of room leaves nothing behind. An aborted call rejects with the signal's reason.
 * Time — retention is judged by the backend's own clock; S3 asks the repository's clock first and
 *   the server's clock decides in the end (its Object Lock refuses a delete before retain-until).
 *   S3 keeps retain-until in whole seconds, rounded up.
 */
export interface Backend {
  /** Where the objects live, for messages (a directory, a bucket URL); never contains secrets. */
  readonly location: string;
  put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult>;
  get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array>;
  stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null>;
  list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject>;
  delete(key: string, signal: AbortSignal): Promise<boolean>;
  lock(key: string, until: number, signal: AbortSignal): Promise<number>;
  quarantine(key: string, signal: AbortSignal): Promise<string>;
  space(signal: AbortSignal): Promise<SpaceInfo | null>;
}

/** How many quarantined copies of one key a backend keeps apart before it refuses another. */
export const MAX_QUARANTINED = 100;

/** The n-th quarantine name of a key (n from 1): `<key>.bad`, then `<key>.bad-2`, … */
export function quarantineKey(key: string, n: number): string {
  return n === 1 ? `${key}.bad` : `${key}.bad-${n}`;
}

/** The key a quarantine name was moved from, or undefined when `key` is not one. */
export function quarantinedFrom(key: string): string | undefined {
  const m = /^(.+)\.bad(?:-([2-9]|[1-9][0-9]+))?$/.exec(key);
  return m ? m[1] : undefined;
}

export function quarantineFull(key: string): StoreError {
  return new StoreError('backend-refused', `object ${key} cannot be quarantined: ${MAX_QUARANTINED} quarantined copies of it exist already`, { key });
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export function checkKey(key: string): void {
  if (!KEY.test(key) || key.length > 512) {
    throw new StoreError('invalid-key', `invalid object key ${JSON.stringify(key)}`, { key });
  }
}

export function checkPrefix(prefix: string): void {
  if (prefix !== '' && !/^[a-z0-9][a-z0-9._/-]*$/.test(prefix)) {
    throw new StoreError('invalid-key', `invalid object prefix ${JSON.stringify(prefix)}`, { prefix });
  }
}

export function checkRange(key: string, size: number, range: ByteRange | undefined): void {
  if (!range) return;
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new StoreError('invalid-range', `range ${offset}+${length} is outside object ${key} of ${size} bytes`, { key, offset, length, size });
  }
}

export function notFound(key: string): StoreError {
  return new StoreError('object-not-found', `object ${key} does not exist`, { key });
}

export function lockedError(key: string, retainUntil: number): StoreError {
  return new StoreError('retention-locked', `object ${key} is locked until ${new Date(retainUntil).toISOString()}`, {
    key,
    retainUntil: new Date(retainUntil).toISOString(),
  });
}

export function totalLength(data: Uint8Array | readonly Uint8Array[]): number {
  if (data instanceof Uint8Array) return data.byteLength;
  let n = 0;
  for (const part of data) n += part.byteLength;
  return n;
}
