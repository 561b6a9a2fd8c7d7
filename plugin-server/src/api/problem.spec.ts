import { LifelineError, type ErrorCode } from '../errors/index.js';
import { StoreError } from '../store/index.js';
import { toProblem } from './problem.js';

describe('toProblem', () => {
  it('answers a missing restore point with 404 and its message', () => {
    const p = toProblem(new StoreError('point-not-found', 'restore point abc does not exist'), 'r1');
    expect(p.status).toBe(404);
    expect(p.code).toBe('point-not-found');
    expect(p.detail).toBe('restore point abc does not exist');
  });

  it('refuses a locked point with 409', () => {
    expect(toProblem(new StoreError('retention-locked', 'locked until 2027-01-01'), 'r2').status).toBe(409);
  });

  it('keeps the chunk and point named when backup data is damaged', () => {
    const p = toProblem(new LifelineError('restore-chunk-corrupt', 'chunk 1a2b of point P (disk 0) is corrupt'), 'r3');
    expect(p.status).toBe(500);
    expect(p.detail).toContain('chunk 1a2b of point P');
    expect(p['errorId']).toBe('r3');
  });

  it('hides the message of an unexpected error behind an error id', () => {
    for (const err of [new LifelineError('something-unmapped' as ErrorCode, 'internal detail /var/x'), new Error('secret stack')]) {
      const p = toProblem(err, 'r4');
      expect(p.status).toBe(500);
      expect(p.code).toBe('internal');
      expect(p.detail).not.toContain('internal detail');
      expect(p.detail).not.toContain('secret');
      expect(p.detail).toContain('r4');
    }
  });
});
