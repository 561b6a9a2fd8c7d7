import { HttpErrorResponse } from '@angular/common/http';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** One fault of a 400 answer: which request field (e.g. `retention.daily`) and what is allowed. */
export type ProblemFieldError = Schemas['FieldError'];

/**
 * A failed call to the Lifeline server, shaped after the RFC 9457 problem details the server
 * answers with. `code` is the server's stable error code when it sent one; errors raised in the
 * browser (unreachable server, unreadable answer) carry codes of their own.
 */
export class LifelineApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  readonly code: string | undefined;
  readonly instance: string | undefined;
  /** The server lists every field at fault in a 400, so a form can show each beside its field. */
  readonly errors: readonly ProblemFieldError[];

  constructor(problem: {
    status: number;
    title: string;
    detail?: string | undefined;
    type?: string | undefined;
    code?: string | undefined;
    instance?: string | undefined;
    errors?: readonly ProblemFieldError[] | undefined;
  }) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'LifelineApiError';
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type ?? 'about:blank';
    this.code = problem.code;
    this.instance = problem.instance;
    this.errors = problem.errors ?? [];
  }
}

/** Codes for failures seen in the browser, where no problem document exists. */
export const BROWSER_ERROR_CODES = {
  unreachable: 'UNREACHABLE',
  httpStatus: 'HTTP_STATUS',
  badResponse: 'BAD_RESPONSE',
  /** The vSphere Client gave no session or no server address (its callback answered null). */
  vsphereClient: 'VSPHERE_CLIENT',
} as const;

export interface ApiErrorTitles {
  unreachable(): { title: string; detail: string };
  httpStatus(status: number): string;
}

const PROBLEM_JSON = 'application/problem+json';

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns what HttpClient reports for a failed request into a LifelineApiError. A problem document
 * is trusted for its text; the HTTP status line stays authoritative for `status`, because a proxy
 * in between may answer for the server.
 */
export function toLifelineApiError(error: HttpErrorResponse, titles: ApiErrorTitles): LifelineApiError {
  if (error.status === 0) {
    return new LifelineApiError({ status: 0, code: BROWSER_ERROR_CODES.unreachable, ...titles.unreachable() });
  }
  const contentType = error.headers.get('content-type') ?? '';
  const body: unknown = typeof error.error === 'string' && contentType.includes(PROBLEM_JSON) ? parseJson(error.error) : error.error;
  if (isRecord(body) && typeof body['title'] === 'string') {
    return new LifelineApiError({
      status: error.status,
      title: body['title'],
      detail: optionalString(body['detail']),
      type: optionalString(body['type']),
      code: optionalString(body['code']),
      instance: optionalString(body['instance']),
      errors: fieldErrorsOf(body['errors']),
    });
  }
  return new LifelineApiError({
    status: error.status,
    title: titles.httpStatus(error.status),
    // A plain-text body is the only explanation there is; an HTML error page of a proxy is not text
    // a person should read inside a vSphere view.
    detail: typeof body === 'string' && contentType.startsWith('text/plain') ? optionalString(body.trim().slice(0, 300)) : undefined,
    code: BROWSER_ERROR_CODES.httpStatus,
  });
}

function fieldErrorsOf(value: unknown): ProblemFieldError[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.flatMap((item: unknown) =>
    isRecord(item) && typeof item['field'] === 'string' && typeof item['message'] === 'string'
      ? [{ field: item['field'], message: item['message'] }]
      : [],
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A body that claims to be problem+json but is not JSON is reported by status alone.
    return undefined;
  }
}

/**
 * Shows an API failure in a view, unless the view gave its request up (it is being destroyed);
 * anything other than an API failure is a bug and is thrown on.
 */
export function reportApiError(error: unknown, signal: AbortSignal, show: (error: LifelineApiError) => void): void {
  if (signal.aborted) {
    return;
  }
  if (!(error instanceof LifelineApiError)) {
    throw error;
  }
  show(error);
}
