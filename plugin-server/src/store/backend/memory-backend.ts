/**
 * An in-memory Backend for tests. It satisfies the Backend contract (backend.ts) within one
 * process; durability is the process's lifetime.
 */
import { throwIfAborted } from '../bounded.js';
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
import type { TimeSource } from '../../domain/index.js';

interface Entry {
  data: Uint8Array;
  retainUntil: number;
  touchedAt: number;
}

export class MemoryBackend implements Backend {
  readonly location = 'memory:';
  private readonly objects = new Map<string, Entry>();

  constructor(private readonly clock: TimeSource) {}

  async put(key: string, data: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<PutResult> {
    checkKey(key);
    throwIfAborted(options.signal);
    await Promise.resolve();
    if (this.objects.has(key)) return { created: false };
    const bytes = data instanceof Uint8Array ? Uint8Array.from(data) : concat(data);
    if (options.vouchedBy) {
      await options.vouchedBy;
      throwIfAborted(options.signal);
      if (this.objects.has(key)) return { created: false };
    }
    this.objects.set(key, { data: bytes, retainUntil: options.retainUntil ?? 0, touchedAt: this.clock.now() });
    return { created: true };
  }

  async get(key: string, signal: AbortSignal, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    throwIfAborted(signal);
    await Promise.resolve();
    const e = this.objects.get(key);
    if (!e) throw notFound(key);
    checkRange(key, e.data.byteLength, range);
    const part = range ? e.data.subarray(range.offset, range.offset + range.length) : e.data;
    if (into && into.byteLength >= part.byteLength) {
      into.set(part);
      return into.subarray(0, part.byteLength);
    }
    return part.slice();
  }

  async stat(key: string, signal: AbortSignal): Promise<ObjectInfo | null> {
    checkKey(key);
    throwIfAborted(signal);
    await Promise.resolve();
    const e = this.objects.get(key);
    return e ? { size: e.data.byteLength, retainUntil: e.retainUntil, touchedAt: e.touchedAt } : null;
  }

  async *list(prefix: string, signal: AbortSignal): AsyncIterable<ListedObject> {
    checkPrefix(prefix);
    for (const [key, e] of [...this.objects]) {
      throwIfAborted(signal);
      if (key.startsWith(prefix)) yield { key, size: e.data.byteLength };
    }
  }

  async delete(key: string, signal: AbortSignal): Promise<boolean> {
    checkKey(key);
    throwIfAborted(signal);
    await Promise.resolve();
    const e = this.objects.get(key);
    if (!e) return false;
    if (e.retainUntil > this.clock.now()) throw lockedError(key, e.retainUntil);
    this.objects.delete(key);
    return true;
  }

  async lock(key: string, until: number, signal: AbortSignal): Promise<number> {
    checkKey(key);
    throwIfAborted(signal);
    await Promise.resolve();
    const e = this.objects.get(key);
    if (!e) throw notFound(key);
    const u = Math.round(until);
    if (u > e.retainUntil) {
      e.retainUntil = u;
      e.touchedAt = this.clock.now();
    }
    return e.retainUntil;
  }

  /** Memory has no fixed bound here. */
  space(signal: AbortSignal): Promise<SpaceInfo | null> {
    throwIfAborted(signal);
    return Promise.resolve(null);
  }

  async quarantine(key: string, signal: AbortSignal): Promise<string> {
    checkKey(key);
    throwIfAborted(signal);
    await Promise.resolve();
    const e = this.objects.get(key);
    if (!e) throw notFound(key);
    for (let n = 1; n <= MAX_QUARANTINED; n++) {
      const target = quarantineKey(key, n);
      if (this.objects.has(target)) continue;
      checkKey(target);
      // The same entry, lock and all: the move is not a write.
      this.objects.set(target, e);
      this.objects.delete(key);
      return target;
    }
    throw quarantineFull(key);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
