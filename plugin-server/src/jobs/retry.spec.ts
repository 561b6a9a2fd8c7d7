import { LifelineError } from '../errors/index.js';
import { backoffDelay, isTransientError } from './retry.js';

describe('retry', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 30_000 };

  it('doubles the delay per attempt up to the cap, with half of it random', () => {
    const low = [2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy, () => 0));
    const high = [2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy, () => 0.999999));
    expect(low).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect(high).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('classifies by the transient flag first, then by the predicate', () => {
    const any = () => true;
    expect(isTransientError(new LifelineError('vcenter-error', 'm', { transient: true }))).toBeTrue();
    expect(isTransientError(new LifelineError('vcenter-error', 'm', { transient: false }), any)).toBeFalse();
    expect(isTransientError(new LifelineError('vcenter-error', 'm'))).toBeFalse();
    expect(isTransientError(new Error('ECONNRESET'), any)).toBeTrue();
    expect(isTransientError(new Error('ECONNRESET'))).toBeFalse();
  });
});
