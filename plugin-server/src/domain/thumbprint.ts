/**
 * A certificate's SHA-256 thumbprint in the form vSphere shows it (`serverThumbprint`): 32
 * upper-case hex pairs joined by colons. Lifeline pins vCenter's certificate, and its own is
 * pinned by vCenter, by this value; Node's `X509Certificate.fingerprint256` has the same form.
 */
import { ValidationError } from '../errors/index.js';

/** The hex digits of a thumbprint written with or without colons, spaces or dashes, upper-cased. */
function hexOf(raw: string): string {
  return raw.replace(/[:\s-]/g, '').toUpperCase();
}

/** The thumbprint in its one form, or null when `raw` is not a SHA-256 thumbprint. */
export function normaliseThumbprint(raw: string): string | null {
  const hex = hexOf(raw);
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return (hex.match(/../g) as string[]).join(':');
}

/** Whether `raw` has the length of a SHA-1 thumbprint, the one the vSphere Client showed for years. */
export function looksLikeSha1(raw: string): boolean {
  return /^[0-9A-F]{40}$/.test(hexOf(raw));
}

/** The thumbprint in its one form; a ValidationError that says what is wrong with it otherwise. */
export function requireThumbprint(raw: string, what = 'the vCenter thumbprint'): string {
  const t = normaliseThumbprint(raw);
  if (t !== null) return t;
  const details = { thumbprint: raw };
  if (!/^[0-9A-F]*$/.test(hexOf(raw))) throw new ValidationError(`${what} must be hexadecimal (pairs may be separated by colons)`, details);
  if (looksLikeSha1(raw)) throw new ValidationError(`${what} is a SHA-1 thumbprint; Lifeline pins the SHA-256 thumbprint of the certificate`, details);
  throw new ValidationError(`${what} must be a SHA-256 thumbprint (32 bytes, 64 hex digits)`, details);
}
