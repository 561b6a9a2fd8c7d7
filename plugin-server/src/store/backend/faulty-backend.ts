/**
 * A fault-injecting Backend wrapper, part of the test kit: it makes chosen calls fail, stall, or
 * return damaged bytes, so tests can prove that the repository reports the damage and never
 * commits or returns anything wrong.
 */
import { abortError } from '../bounded.js';
import type { Backend, ByteRange, ListedObject, ObjectInfo, PutOptions, PutResult, SpaceInfo } from './backend.js';
import { StoreError } from '../store-error.js';

export type BackendOp = 'put' | 'get' | 'stat' | 'list' | 'delete' | 'lock' | 'quarantine';

export interface Fault {
  op: BackendOp;
  /** Which keys (or list prefixes) the fault applies to; all when absent. */
  match?: RegExp;
  /** How many matching calls to affect; unlimited when absent. */
  times?: number;
  /** Throw this (default: a transient 'backend-io' error). Ignored with `corrupt`. */
  error?: Error;
  /** For get: flip one bit of the returned bytes instead of failing. */
  corrupt?: boolean;
  /** Wait this long before the call proceeds (or fails), honouring the signal. */
  delayMs?: number;
}

export class FaultyBackend implements Backend {
  private faults: Array<Fault & { left: number }> = [];
  /** Calls per operation, including failed ones. */
  readonly calls: Record<BackendOp, number> = { put: 0, get: 0, stat: 0, list: 0, delete: 0, lock: 0, quarantine: 0 };

  constructor(private readonly inner: Backend) {}

  get location(): string {
    return this.inner.location;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  private async before(op: BackendOp, key: string, signal: AbortSignal): Promise<Fault | undefined> {
    this.calls[op]++;
    const f = this.faults.find((x) => x.op === op && x.left > 0 && (!x.match || x.match.test(key)));
    if (!f) return undefined;
    f.left--;
    if (f.delayMs) await delay(f.delayMs, signal);
    if (f.corrupt && op === 'get') return f;
    throw f.error ?? new StoreError('backend-io', `injected ${op} failure for ${key}`, { key, op });
  }

  async put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult> {
    await this.before('put', key, options.signal);
    return this.inner.put(key, data, options);
  }

  async get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    const f = await this.before('get', key, signal);
    const bytes = await this.inner.get(key, signal, range, into);
    if (f?.corrupt && bytes.byteLength > 0) {
      const at = Math.floor(bytes.byteLength / 2);
      bytes[at] = (bytes[at] ?? 0) ^ 0x10;
    }
    return bytes;
  }

  async stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null> {
    await this.before('stat', key, signal);
    return this.inner.stat(key, signal);
  }

  async *list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    await this.before('list', prefix, signal);
    yield* this.inner.list(prefix, signal);
  }

  async delete(key: string, signal: AbortSignal): Promise<boolean> {
    await this.before('delete', key, signal);
    return this.inner.delete(key, signal);
  }

  async lock(key: string, until: number, signal: AbortSignal): Promise<number> {
    await this.before('lock', key, signal);
    return this.inner.lock(key, until, signal);
  }

  async quarantine(key: string, signal: AbortSignal): Promise<string> {
    await this.before('quarantine', key, signal);
    return this.inner.quarantine(key, signal);
  }

  space(signal: AbortSignal): Promise<SpaceInfo | null> {
    return this.inner.space(signal);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
