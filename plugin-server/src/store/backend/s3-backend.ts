/**
 * The Backend on S3-compatible object storage with Object Lock (Ceph RGW, MinIO, AWS S3, …),
 * through @aws-sdk/client-s3. Object `a/b` is the S3 object `<prefix>a/b` in one bucket, which
 * must have Object Lock enabled (and so is versioned):
 *
 * - A retention lock is the version's Object Lock retention in COMPLIANCE mode: set with the put
 *   and raised by `lock` (PutObjectRetention). The storage server itself then refuses to delete
 *   the version or to shorten its retention — to everybody, Lifeline's own credentials included.
 *   Retain-until times are kept in whole seconds, rounded up: RGW compares retentions in seconds
 *   and would let a shortening within one second through. A retain-until the server already sees
 *   as past (by the wall clock, the best view of its clock this machine has) sets no lock: the
 *   server would refuse it, and it would lock nothing.
 * - put checks that the key reads absent (HeadObject), then writes; a content-addressed put (a
 *   chunk, whose key is its digest) writes at once, its retention set by the same PutObject. A versioned bucket cannot
 *   refuse a second PutObject of a key (RGW ignores If-None-Match there: the second put becomes a
 *   new current version), so two writers racing on one key may both write and both report
 *   `created: true`; readers see one whole body. backend.ts states this weaker guarantee and what
 *   the repository does about it (it never needs the condition).
 * - delete removes the key's versions from the newest down until the key reads absent (normally
 *   one), each by its VersionId: a version still under retention is refused by the server, which
 *   is mapped to 'retention-locked'. Our clock is asked first, as the other backends do, so the
 *   repository's clock and the server's agree on what is locked.
 * - quarantine copies the current version to the first free quarantine key with the same
 *   retention, then puts a delete marker on the old key: the locked version stays in the bucket,
 *   hidden, and the key reads absent.
 * - Serialisation of lock and delete needs no lock service: the server checks a version's
 *   retention atomically with its deletion, and lock names the version it extends, so a delete
 *   that slips in before the lock makes the lock 'object-not-found'.
 * - touchedAt is the version's creation time (S3 keeps no time of retention changes): a re-used
 *   chunk is protected from garbage collection by the lock itself, which a sweep never passes.
 * - space is null: object storage has no fixed capacity.
 * - Network failures, 5xx answers and throttling are 'backend-io', retried by retrying-backend.ts
 *   (the SDK's own retries are off, so there is one retry policy); refusals (403, a missing bucket)
 *   are 'backend-refused'.
 */
import { createHash } from 'node:crypto';
import { getMaxListeners, setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Agent as HttpAgent } from 'node:http';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { abortError, throwIfAborted } from '../bounded.js';
import {
  checkKey,
  checkPrefix,
  checkRange,
  lockedError,
  MAX_QUARANTINED,
  notFound,
  quarantineFull,
  quarantineKey,
  type Backend,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type SpaceInfo,
} from './backend.js';
import { whenPinned, type TimeSource } from '../../domain/index.js';
import { StoreError } from '../store-error.js';

/** Where a repository's objects live on S3; carries no secret, so it may be stored and shown. */
export interface S3Location {
  /** Endpoint URL (https://host:port); absent: the region's AWS endpoint. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Key prefix inside the bucket ('' or '<segments>/'). */
  prefix: string;
  /** Path-style addressing (https://host/bucket/key), which most on-premises servers need. */
  forcePathStyle: boolean;
  /** PEM file of the CA (or the server's own certificate) to trust instead of the system's. */
  caFile?: string;
  /**
   * The SHA-256 thumbprint of the endpoint's own certificate (AA:BB:…, 32 bytes): the endpoint is
   * trusted when it shows exactly that certificate, whoever signed it, instead of by a CA. No
   * request byte is sent on a connection before its certificate has been compared with it.
   */
  certSha256?: string;
  /** JSON file {"accessKeyId", "secretAccessKey"[, "sessionToken"]}; absent: the AWS environment/profile chain. */
  credentialsFile?: string;
  /**
   * False for a bucket without Object Lock, accepted only when the administrator waived it: then
   * no object carries a lock (the server would refuse one), stat reports none, and only the
   * catalog's retain-until holds points back. Default true.
   */
  objectLock?: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3BackendOptions {
  clock: TimeSource;
  /**
   * The storage server's time as this machine sees it (default: the wall clock). A retain-until
   * the server already sees as past sets no lock: it would lock nothing, and the server refuses it.
   */
  serverClock?: TimeSource;
  /** Credentials given directly (tests); otherwise credentialsFile or the AWS chain. */
  credentials?: S3Credentials;
  /** Requests in flight at most (default 16). */
  maxSockets?: number;
}

/** Parses `s3://bucket/prefix` into bucket and prefix ('' or ending in '/'). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new StoreError('invalid-key', `${JSON.stringify(url)} is not an S3 location: write s3://<bucket>[/<prefix>] (bucket in lower case)`, { url });
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') checkPrefix(prefix);
  return { bucket: m[1]!, prefix: prefix === '' ? '' : `${prefix}/` };
}

export async function readS3Credentials(file: string): Promise<S3Credentials> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new StoreError('backend-refused', `the S3 credentials file ${file} cannot be read as JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, { file });
  }
  const c = parsed as Partial<S3Credentials> | null;
  if (!c || typeof c.accessKeyId !== 'string' || typeof c.secretAccessKey !== 'string' || c.accessKeyId === '' || c.secretAccessKey === '') {
    throw new StoreError('backend-refused', `the S3 credentials file ${file} must hold {"accessKeyId": "…", "secretAccessKey": "…"}`, { file });
  }
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(typeof c.sessionToken === 'string' ? { sessionToken: c.sessionToken } : {}) };
}

/** An S3 client for the location, with the settings every S3-compatible server accepts. */
export async function s3Client(loc: S3Location, opts: { credentials?: S3Credentials; maxSockets?: number } = {}): Promise<S3Client> {
  const credentials = opts.credentials ?? (loc.credentialsFile ? await readS3Credentials(loc.credentialsFile) : undefined);
  const ca = loc.caFile ? await readFile(loc.caFile, 'utf8') : undefined;
  const maxSockets = opts.maxSockets ?? 16;
  // The pinned SDK runs on the Node versions Lifeline supports; its warning about later SDK
  // versions needing a newer Node would only clutter every command's output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Client({
    ...(loc.endpoint ? { endpoint: loc.endpoint } : {}),
    region: loc.region,
    forcePathStyle: loc.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    // Flexible checksums on every request make RGW answer a streamed PutObject with 411; the
    // body's MD5 goes with each put instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: loc.certSha256 ? new PinnedAgent(loc.certSha256, { keepAlive: true, maxSockets }) : new HttpsAgent({ keepAlive: true, maxSockets, ...(ca ? { ca } : {}) }),
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
    },
  });
}

/** An HTTPS agent whose connections are handed to a request only once the peer showed the pinned certificate. */
class PinnedAgent extends HttpsAgent {
  constructor(
    private readonly thumbprint: string,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: ConnectionOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? '';
    const socket = tlsConnect({ ...options, rejectUnauthorized: false });
    const mismatch = (presented: string): Error =>
      Object.assign(new Error(`the endpoint ${host} shows a TLS certificate with SHA-256 thumbprint ${presented}, not the pinned ${this.thumbprint}`), { code: 'CERT_PIN_MISMATCH' });
    whenPinned(socket, host, { thumbprint: this.thumbprint, mismatch }).then(
      () => callback?.(null, socket),
      (err: unknown) => callback?.(err instanceof Error ? err : new Error(String(err)), socket),
    );
    // The request waits for the callback: nothing is written before the pin is checked.
    return undefined;
  }
}

export interface BucketLock {
  /** Whether the bucket was made by this call. */
  created: boolean;
  /** Object Lock enabled on the bucket (then it is versioned, and COMPLIANCE retention can be set). */
  objectLock: boolean;
}

/**
 * Creates the bucket with Object Lock enabled, or checks an existing one: one without Object Lock
 * is refused when `requireLock` (immutability asked for) — Object Lock can only be chosen when a
 * bucket is made, so the answer names the way out.
 */
export async function prepareBucket(client: S3Client, bucket: string, requireLock: boolean, signal: AbortSignal): Promise<BucketLock> {
  let created = false;
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
  } catch (err) {
    const mapped = s3Error('check', `bucket ${bucket}`, err);
    if (mapped.code !== 'object-not-found' && !(mapped.details['s3Code'] === 'NoSuchBucket')) throw mapped;
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }), { abortSignal: signal });
      created = true;
    } catch (err2) {
      throw s3Error('create', `bucket ${bucket}`, err2);
    }
  }
  const objectLock = await bucketObjectLock(client, bucket, signal);
  if (requireLock && !objectLock) {
    throw new StoreError(
      'backend-refused',
      `bucket ${bucket} has no Object Lock, so restore points in it could be deleted before their retain-until; Object Lock can only be enabled when a bucket is created: name a new bucket (Lifeline creates it with Object Lock) or one created with it`,
      { bucket },
    );
  }
  return { created, objectLock };
}

/** Whether the bucket has Object Lock enabled. */
export async function bucketObjectLock(client: S3Client, bucket: string, signal: AbortSignal): Promise<boolean> {
  try {
    const out = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), { abortSignal: signal });
    return out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (err) {
    const mapped = s3Error('check', `bucket ${bucket}`, err);
    if (mapped.code === 'backend-io') throw mapped;
    // ObjectLockConfigurationNotFoundError (404) or a refusal: no Object Lock here.
    return false;
  }
}

const SECOND = 1000;
/** Retain-until in whole seconds, rounded up (see the module comment). */
export function retentionSeconds(ms: number): number {
  return Math.ceil(ms / SECOND) * SECOND;
}

export class S3Backend implements Backend {
  readonly location: string;
  private readonly clock: TimeSource;
  private readonly serverClock: TimeSource;

  constructor(
    readonly client: S3Client,
    readonly loc: S3Location,
    opts: Pick<S3BackendOptions, 'clock' | 'serverClock'>,
  ) {
    this.clock = opts.clock;
    this.serverClock = opts.serverClock ?? { now: () => Date.now() };
    this.location = `s3://${loc.bucket}/${loc.prefix}${loc.endpoint ? ` at ${loc.endpoint}` : ''}`;
  }

  static async open(loc: S3Location, opts: S3BackendOptions): Promise<S3Backend> {
    return new S3Backend(await s3Client(loc, opts), loc, opts);
  }

  private objectKey(key: string): string {
    return `${this.loc.prefix}${key}`;
  }

  async put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult> {
    checkKey(key);
    const { signal } = options;
    throwIfAborted(signal);
    // A chunk's key is its content's digest: writing it again writes the same bytes, so the look
    // for it first (a request per new chunk) is spared; the bucket could not refuse it anyway.
    if (!options.contentAddressed && (await this.head(key, 'put', signal))) return { created: false };
    const body = data instanceof Uint8Array ? data : Buffer.concat(data as Uint8Array[]);
    // A bucket has no place to hold an object unseen: the check comes first.
    if (options.vouchedBy) await options.vouchedBy;
    throwIfAborted(signal);
    const retain = options.retainUntil !== undefined && this.inServerFuture(options.retainUntil) ? retentionSeconds(options.retainUntil) : undefined;
    await this.send('put', key, signal, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.loc.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentLength: body.byteLength,
          ContentMD5: createHash('md5').update(body).digest('base64'),
          ...(retain !== undefined ? { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(retain) } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    return { created: true };
  }

  async get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    throwIfAborted(signal);
    if (range) {
      // The numbers themselves first; whether they fit the object, the server's answer says.
      checkRange(key, Number.MAX_SAFE_INTEGER, range);
      if (range.length === 0) {
        const info = await this.stat(key, signal);
        if (!info) throw notFound(key);
        checkRange(key, info.size, range);
        return new Uint8Array(0);
      }
    }
    const out = await this.send('get', key, signal, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.loc.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
        }),
        { abortSignal: signal },
      ),
    ).catch((err: unknown) => {
      if (range && httpStatus(err) === 416) throw invalidRange(key, range);
      throw err;
    });
    const length = out.ContentLength ?? 0;
    if (range && length !== range.length) {
      (out.Body as Readable | undefined)?.destroy?.();
      throw invalidRange(key, range);
    }
    const buf = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    try {
      for await (const piece of out.Body as AsyncIterable<Uint8Array>) {
        if (done + piece.byteLength > length) throw new StoreError('backend-io', `object ${key} is longer than the server announced`, { key });
        buf.set(piece, done);
        done += piece.byteLength;
      }
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      throw err instanceof StoreError ? err : new StoreError('backend-io', `get of ${key} failed while reading: ${describe(err)}`, { key, op: 'get' }, { cause: err });
    }
    if (done !== length) throw new StoreError('backend-io', `object ${key} ended early (${done} of ${length} bytes)`, { key });
    return buf;
  }

  async stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null> {
    checkKey(key);
    throwIfAborted(signal);
    const h = await this.head(key, 'stat', signal);
    return h ? info(h) : null;
  }

  async *list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    checkPrefix(prefix);
    let token: string | undefined;
    do {
      throwIfAborted(signal);
      const page = await this.send('list', prefix, signal, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.objectKey(prefix), ...(token ? { ContinuationToken: token } : {}) }),
          { abortSignal: signal },
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.loc.prefix)) continue;
        yield { key: o.Key.slice(this.loc.prefix.length), size: o.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, signal: AbortSignal): Promise<boolean> {
    checkKey(key);
    let deleted = false;
    // Normally one round; more when racing writers left older versions under the current one.
    for (let round = 0; round < 1000; round++) {
      const h = await this.head(key, 'delete', signal);
      if (!h) return deleted;
      const o = info(h);
      if (o.retainUntil > this.clock.now()) throw lockedError(key, o.retainUntil);
      throwIfAborted(signal);
      try {
        await this.send('delete', key, signal, () =>
          this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.objectKey(key), VersionId: h.VersionId }), { abortSignal: signal }),
        );
      } catch (err) {
        // The server's clock may still see the lock our clock saw run out.
        if (isStoreError403(err) && o.retainUntil > 0) throw lockedError(key, o.retainUntil);
        throw err;
      }
      deleted = true;
      if (h.VersionId === undefined || h.VersionId === 'null') return true;
    }
    throw new StoreError('backend-io', `object ${key} has too many versions to delete`, { key });
  }

  async lock(key: string, until: number, signal: AbortSignal): Promise<number> {
    checkKey(key);
    const want = retentionSeconds(until);
    for (let attempt = 0; ; attempt++) {
      const h = await this.head(key, 'lock', signal);
      if (!h) throw notFound(key);
      const current = info(h).retainUntil;
      if (current >= want) return current;
      if (!this.inServerFuture(want)) return want;
      try {
        await this.send('lock', key, signal, () =>
          this.client.send(
            new PutObjectRetentionCommand({
              Bucket: this.loc.bucket,
              Key: this.objectKey(key),
              VersionId: h.VersionId,
              Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(want) },
            }),
            { abortSignal: signal },
          ),
        );
        return want;
      } catch (err) {
        if (isStoreError(err, 'object-not-found')) throw notFound(key);
        // A concurrent lock of the version raised it further in between (the server refuses to
        // shorten: 403), or collided with ours (RGW answers 500): look again.
        if ((isStoreError403(err) || isStoreError(err, 'backend-io')) && attempt < 8) {
          await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20 * (attempt + 1))));
          continue;
        }
        throw err;
      }
    }
  }

  async quarantine(key: string, signal: AbortSignal): Promise<string> {
    checkKey(key);
    const h = await this.head(key, 'quarantine', signal);
    if (!h) throw notFound(key);
    const o = info(h);
    for (let n = 1; n <= MAX_QUARANTINED; n++) {
      const target = quarantineKey(key, n);
      checkKey(target);
      if (await this.head(target, 'quarantine', signal)) continue;
      const source = `${this.loc.bucket}/${this.objectKey(key)}${h.VersionId ? `?versionId=${encodeURIComponent(h.VersionId)}` : ''}`;
      await this.send('quarantine', key, signal, () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.loc.bucket,
            Key: this.objectKey(target),
            CopySource: source,
            ...(this.inServerFuture(o.retainUntil) ? { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(retentionSeconds(o.retainUntil)) } : {}),
          }),
          { abortSignal: signal },
        ),
      );
      // A delete marker: the key reads absent, the (possibly locked) version stays underneath.
      await this.send('quarantine', key, signal, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.objectKey(key) }), { abortSignal: signal }),
      );
      return target;
    }
    throw quarantineFull(key);
  }

  space(signal: AbortSignal): Promise<SpaceInfo | null> {
    throwIfAborted(signal);
    return Promise.resolve(null);
  }

  /** Whether a retain-until still lies ahead by the server's clock (with a second to spare) and the bucket can hold it. */
  private inServerFuture(until: number): boolean {
    return this.loc.objectLock !== false && until > this.serverClock.now() + SECOND;
  }

  /** HeadObject of the key's current version, or undefined when it reads absent. */
  private async head(key: string, op: string, signal: AbortSignal): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.send(op, key, signal, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.objectKey(key) }), { abortSignal: signal }),
      );
    } catch (err) {
      if (isStoreError(err, 'object-not-found')) return undefined;
      throw err;
    }
  }

  /** One SDK call, its failure mapped onto the Backend's error codes. */
  private async send<T>(op: string, key: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    // Each request in flight listens on the caller's signal until it ends; a backup keeps dozens
    // in flight on one signal, which is no leak.
    if (!widened.has(signal)) {
      widened.add(signal);
      if (getMaxListeners(signal) < SIGNAL_LISTENERS) setMaxListeners(SIGNAL_LISTENERS, signal);
    }
    try {
      return await call();
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      throw s3Error(op, key, err);
    }
  }
}

const SIGNAL_LISTENERS = 256;
const widened = new WeakSet<AbortSignal>();

function info(h: HeadObjectCommandOutput): ObjectInfo {
  const created = h.LastModified?.getTime() ?? 0;
  return { size: h.ContentLength ?? 0, retainUntil: h.ObjectLockRetainUntilDate?.getTime() ?? 0, touchedAt: created };
}

function invalidRange(key: string, range: ByteRange): StoreError {
  return new StoreError('invalid-range', `range ${range.offset}+${range.length} is outside object ${key}`, { key, offset: range.offset, length: range.length });
}

function isStoreError(err: unknown, code: string): boolean {
  return err instanceof StoreError && err.code === code;
}

function isStoreError403(err: unknown): boolean {
  return err instanceof StoreError && err.details['status'] === 403;
}

function httpStatus(err: unknown): number | undefined {
  if (err instanceof StoreError) return typeof err.details['status'] === 'number' ? err.details['status'] : undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; code?: string; message?: string };
    return [e.name, e.code, e.message].filter((x) => x !== undefined && x !== '').join(': ').slice(0, 300);
  }
  return String(err);
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion']);
const TRANSIENT_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'TimeoutError', 'InternalError', 'ServiceUnavailable']);
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * An SDK failure as a StoreError: a missing key is 'object-not-found', throttling, 5xx and
 * network failures 'backend-io' (transient), everything else the server refused 'backend-refused'.
 * The message names the operation, the key and the server's error, never credentials.
 */
export function s3Error(op: string, key: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = (err ?? {}) as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const status = e.$metadata?.httpStatusCode;
  const name = e.Code ?? e.name ?? '';
  const details = { key, op, status, s3Code: name };
  if (NOT_FOUND.has(name) || status === 404) {
    if (name === 'NoSuchBucket') return new StoreError('backend-refused', `${op} of ${key} failed: the bucket does not exist`, details, { cause: err });
    return new StoreError('object-not-found', `object ${key} does not exist`, { key }, { cause: err });
  }
  const errno = e.code ?? (err as { cause?: { code?: string } } | null)?.cause?.code;
  // A certificate the endpoint cannot prove does not mend by trying again.
  if (errno === 'CERT_PIN_MISMATCH') {
    return new StoreError('backend-refused', `${op} of ${key} failed: ${(err as Error).message}`, { ...details, errno }, { cause: err });
  }
  if (errno !== undefined && /CERT|SSL|TLS|SELF_SIGNED/.test(errno)) {
    return new StoreError('backend-refused', `${op} of ${key} failed: the endpoint's TLS certificate is not trusted (${errno}); give the CA file that vouches for it`, { ...details, errno }, { cause: err });
  }
  const transient =
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    TRANSIENT_NAMES.has(name) ||
    (errno !== undefined && TRANSIENT_ERRNO.has(errno)) ||
    (status === undefined && e.$fault !== 'client');
  return new StoreError(transient ? 'backend-io' : 'backend-refused', `${op} of ${key} failed: ${describe(err)}${status ? ` (HTTP ${status})` : ''}`, details, { cause: err });
}
