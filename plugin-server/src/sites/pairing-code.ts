/**
 * One-time pairing codes and the pairing proofs made with them (docs/replication.md, "Pairing").
 *
 * A code is 128 random bits, written as 26 Crockford base-32 digits in groups of four, so an
 * administrator can read it off one screen and type it into another; typing is forgiving (case,
 * dashes and spaces, O for 0, I and L for 1). The code itself is never stored, logged nor sent:
 * the site that issues it stores only two values derived from it with HMAC-SHA-256, an id (to
 * find the code again) and a proof key, and the two sites prove they know the code by sending
 * HMACs of both certificates' thumbprints under that key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RandomBytes } from '../domain/index.js';

/** Bytes of randomness in a code: 128 bits. */
export const PAIRING_CODE_BYTES = 16;
/** How long a code is valid. */
export const PAIRING_CODE_TTL_MS = 15 * 60_000;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGITS = Math.ceil((PAIRING_CODE_BYTES * 8) / 5);

/** A new code, e.g. `7K3Q-…-X9`. */
export function newPairingCode(randomBytes: RandomBytes): string {
  const bytes = randomBytes(PAIRING_CODE_BYTES);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  bits <<= BigInt(DIGITS * 5 - PAIRING_CODE_BYTES * 8);
  let digits = '';
  for (let i = DIGITS - 1; i >= 0; i--) digits += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return (digits.match(/.{1,4}/g) as string[]).join('-');
}

/** The code's 26 digits as issued, or null when `raw` cannot be a code (wrong length or characters). */
export function normalisePairingCode(raw: string): string | null {
  const digits = raw.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (digits.length !== DIGITS || [...digits].some((c) => !ALPHABET.includes(c))) return null;
  return digits;
}

/** What a site stores of a code it issued, and what the other site sends to name it. */
export interface PairingCodeKeys {
  /** Hex; names the code in the pairing request and in the issuing site's table. */
  readonly id: string;
  /** The key both sites' proofs are made with. */
  readonly key: Buffer;
}

export function pairingCodeKeys(normalisedCode: string): PairingCodeKeys {
  const derive = (label: string) => createHmac('sha256', normalisedCode).update(label).digest();
  return { id: derive('lifeline site pairing: code id').toString('hex'), key: derive('lifeline site pairing: proof key') };
}

/**
 * The proof of one side: HMAC over its role and both certificates' thumbprints, the source's
 * (the site that pairs) first. Each side computes the thumbprints from the TLS connection it
 * holds, so a relay that shows either side another certificate makes the proofs differ.
 */
export function pairingProof(key: Buffer, side: 'source' | 'target', sourceThumbprint: string, targetThumbprint: string): string {
  return createHmac('sha256', key).update(`lifeline site pairing v1\n${side}\n${sourceThumbprint}\n${targetThumbprint}`).digest('hex');
}

export function sameProof(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
