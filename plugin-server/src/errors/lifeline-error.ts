/**
 * The one error base class of Lifeline. Every error that crosses a module boundary is a
 * LifelineError with a stable, machine-readable `code`; HTTP statuses are chosen only at the API
 * edge from that code (errors/codes.ts lists them all). Messages name the problem for an administrator and never carry secrets.
 */
import type { ErrorCode } from './codes.js';

export class LifelineError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Bad input from a user or a caller: a flag, a request field, a file given on the command line. */
export class ValidationError extends LifelineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('validation', message, details);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends LifelineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('not-found', message, details);
  }
}

export function isLifelineError(err: unknown): err is LifelineError {
  return err instanceof LifelineError;
}

/** A short text for any thrown value, without stack traces. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
