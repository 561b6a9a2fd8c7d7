import { randomBytes } from 'node:crypto';
import { newPairingCode, normalisePairingCode, pairingCodeKeys, pairingProof, PAIRING_CODE_BYTES } from './pairing-code.js';

const T1 = 'AA:'.repeat(31) + 'AA';
const T2 = 'BB:'.repeat(31) + 'BB';

describe('pairing codes', () => {
  it('carry all 128 random bits in 26 base-32 digits, in groups of four', () => {
    expect(newPairingCode(() => new Uint8Array(PAIRING_CODE_BYTES))).toBe('0000-0000-0000-0000-0000-0000-00');
    expect(newPairingCode(() => new Uint8Array(PAIRING_CODE_BYTES).fill(255))).toBe('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW');
    // One bit more or less is another code: no bit is lost in the writing.
    const seen = new Set<string>();
    for (let bit = 0; bit < 128; bit++) {
      const bytes = new Uint8Array(PAIRING_CODE_BYTES);
      bytes[bit >> 3] = 1 << (bit & 7);
      seen.add(newPairingCode(() => bytes));
    }
    expect(seen.size).toBe(128);
  });

  it('are read back however they are typed, and nothing else is', () => {
    const code = newPairingCode((n) => randomBytes(n));
    const digits = code.replace(/-/g, '');
    expect(normalisePairingCode(code)).toBe(digits);
    expect(normalisePairingCode(` ${code.toLowerCase().replace(/-/g, ' ')} `)).toBe(digits);
    expect(normalisePairingCode('OIL0-0000-0000-0000-0000-0000-00')).toBe('01100000000000000000000000');
    expect(normalisePairingCode(digits.slice(1))).toBeNull();
    expect(normalisePairingCode(`${digits.slice(1)}U`)).toBeNull();
  });

  it('give each side a proof bound to its role and to both thumbprints', () => {
    const { id, key } = pairingCodeKeys('0'.repeat(26));
    const other = pairingCodeKeys('1'.repeat(26));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).not.toBe(other.id);
    const proof = pairingProof(key, 'source', T1, T2);
    expect(pairingProof(key, 'source', T1, T2)).toBe(proof);
    expect(new Set([proof, pairingProof(key, 'target', T1, T2), pairingProof(key, 'source', T2, T1), pairingProof(other.key, 'source', T1, T2)]).size).toBe(4);
  });
});
