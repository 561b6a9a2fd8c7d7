// Offset paging of the API's lists: `offset` and `limit` from the query string, checked, and
// a page cut from a whole list.
import type { Request } from 'express';
import { ValidationError } from '../../errors/index.js';

export interface Page {
  readonly offset: number;
  readonly limit: number;
}

export interface PageOf<T> extends Page {
  readonly items: readonly T[];
  /** How many items there are in all, across pages. */
  readonly total: number;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Reads `offset` and `limit` from the query string; a bad value is the caller's error. */
export function pageOf(req: Request): Page {
  return {
    offset: queryInt(req, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: queryInt(req, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
  };
}

export function paginate<T>(all: readonly T[], page: Page): PageOf<T> {
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length, ...page };
}

function queryInt(req: Request, name: string, fallback: number, min: number, max: number): number {
  const raw: unknown = req.query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ValidationError(`Query parameter ${name} must be an integer from ${min} to ${max}.`, { parameter: name });
  }
  return Number(raw);
}
