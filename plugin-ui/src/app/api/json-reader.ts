/**
 * Small checks for reading the server's JSON into typed values. A reader checks what the view
 * relies on and answers null for anything else, so a server of another version shows up as one
 * clear "bad answer" error rather than as a broken view.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

export function isNumberOrNull(value: unknown): value is number | null {
  return value === null || isNumber(value);
}

/** A page of a list endpoint: `{ items, total, offset, limit }`. */
export interface PageOf<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
}

/** Reads a page whose every item passes `readItem`; one bad item makes the whole answer bad. */
export function readPage<T>(body: unknown, readItem: (item: unknown) => T | null): PageOf<T> | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const { total, offset, limit } = body;
  if (!isNumber(total) || !isNumber(offset) || !isNumber(limit)) {
    return null;
  }
  const items: T[] = [];
  for (const raw of body['items'] as unknown[]) {
    const item = readItem(raw);
    if (item === null) {
      return null;
    }
    items.push(item);
  }
  return { items, total, offset, limit };
}
