import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];
/**
 * `GET /api/v1/health`: whether the Lifeline server runs, and which version. Any status is read
 * (the document says 'ok'), so that a server of another version is still recognised as one.
 */
export type Health = Pick<Schemas['Health'], 'version'> & { readonly status: string };

/** Null when the body is not a health document, so the caller can report a bad answer. */
export function readHealth(body: unknown): Health | null {
  if (typeof body !== 'object' || body === null) {
    return null;
  }
  const { status, version } = body as Partial<Record<keyof Health, unknown>>;
  if (typeof status !== 'string' || typeof version !== 'string') {
    return null;
  }
  return { status, version };
}
