import { ValidationError } from '../errors/index.js';
import { normaliseThumbprint, requireThumbprint } from './thumbprint.js';

const PRINT = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');

describe('normaliseThumbprint', () => {
  it('accepts any case and separator style', () => {
    expect(normaliseThumbprint(PRINT.toLowerCase())).toBe(PRINT);
    expect(normaliseThumbprint(PRINT.replace(/:/g, ''))).toBe(PRINT);
    expect(normaliseThumbprint('xyz')).toBeNull();
  });
});

describe('requireThumbprint', () => {
  it('normalises a SHA-256 thumbprint and refuses others', () => {
    const hex = 'ab'.repeat(32);
    expect(requireThumbprint(hex)).toBe(Array(32).fill('AB').join(':'));
    expect(requireThumbprint(` ${Array(32).fill('ab').join(':')} `)).toBe(Array(32).fill('AB').join(':'));
    expect(() => requireThumbprint('ab'.repeat(20))).toThrowMatching((e: unknown) => e instanceof ValidationError && /SHA-1/.test((e as Error).message));
    expect(() => requireThumbprint('zz'.repeat(32))).toThrowError(ValidationError);
    expect(() => requireThumbprint('ab'.repeat(31))).toThrowError(ValidationError);
  });
});
