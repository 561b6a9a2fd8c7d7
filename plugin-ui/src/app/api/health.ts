/** `GET /api/v1/health`: whether the Lifeline server runs, and which version. */
export interface Health {
  readonly status: string;
  readonly version: string;
}

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
