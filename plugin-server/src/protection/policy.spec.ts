import { LifelineError } from '../errors/index.js';
import { isWithinWindows, parsePolicy, validatePolicy, type BackupWindow } from './policy.js';

const valid = () => ({ name: 'Gold', rpoSeconds: 300, retention: { keepLast: 24, daily: 7 } });

function fieldsOf(input: unknown): string[] {
  const v = validatePolicy(input);
  return v.ok ? [] : v.errors.map((e) => e.field);
}

describe('validatePolicy', () => {
  it('accepts a minimal policy and fills in the defaults', () => {
    const v = validatePolicy({ ...valid(), name: '  Gold  ' });
    expect(v).toEqual({
      ok: true,
      policy: {
        name: 'Gold',
        rpoSeconds: 300,
        retention: { keepLast: 24, hourly: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0 },
        immutabilityDays: 7,
        consistency: 'application',
        onQuiesceFailure: 'fail',
        excludedDisks: [],
        windows: [],
        replicationSite: null,
        hookSet: null,
      },
    });
  });

  it('accepts every field at its bounds', () => {
    const v = validatePolicy({
      name: 'x'.repeat(80),
      rpoSeconds: 86_400,
      retention: { keepLast: 0, hourly: 8784, daily: 3660, weekly: 520, monthly: 1200, yearly: 100 },
      immutabilityDays: 3650,
      consistency: 'crash',
      onQuiesceFailure: 'crash-consistent',
      excludedDisks: [{ deviceKey: 2001 }, { label: 'Hard disk 3' }],
      windows: [{ days: ['sat', 'sun'], start: '22:00', end: '06:00' }, { days: ['mon'], start: '00:00', end: '24:00' }],
      replicationSite: 'site-b',
      hookSet: 'x'.repeat(40),
      copyToObjectStorage: { points: 'weekly-monthly', immutableDays: 3650 },
    });
    expect(v.ok).toBeTrue();
    expect(v.ok && v.policy.copyToObjectStorage).toEqual({ points: 'weekly-monthly', immutableDays: 3650 });
    // Points default to all; null asks for no copies and is left out.
    const all = validatePolicy({ ...valid(), copyToObjectStorage: { immutableDays: 1 } });
    expect(all.ok && all.policy.copyToObjectStorage).toEqual({ points: 'all', immutableDays: 1 });
    const none = validatePolicy({ ...valid(), copyToObjectStorage: null });
    expect(none.ok && 'copyToObjectStorage' in none.policy).toBeFalse();
    expect(validatePolicy({ ...valid(), rpoSeconds: 60, immutabilityDays: 1 }).ok).toBeTrue();
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name of 81 characters', { name: 'x'.repeat(81) }, 'name'],
    ['a name with a control character', { name: 'a\nb' }, 'name'],
    ['a name that is not a string', { name: 7 }, 'name'],
    ['an RPO under a minute', { rpoSeconds: 59 }, 'rpoSeconds'],
    ['an RPO over 24 hours', { rpoSeconds: 86_401 }, 'rpoSeconds'],
    ['a fractional RPO', { rpoSeconds: 300.5 }, 'rpoSeconds'],
    ['an RPO given as a string', { rpoSeconds: '300' }, 'rpoSeconds'],
    ['a missing RPO', { rpoSeconds: undefined }, 'rpoSeconds'],
    ['a missing retention', { retention: undefined }, 'retention'],
    ['a retention keeping nothing', { retention: { keepLast: 0, daily: 0 } }, 'retention'],
    ['a negative retention count', { retention: { keepLast: -1, daily: 7 } }, 'retention.keepLast'],
    ['a fractional retention count', { retention: { daily: 1.5 } }, 'retention.daily'],
    ['a retention count over its ceiling', { retention: { yearly: 101 } }, 'retention.yearly'],
    ['an unknown retention rule', { retention: { daily: 7, minutely: 5 } }, 'retention.minutely'],
    ['zero immutability days', { immutabilityDays: 0 }, 'immutabilityDays'],
    ['more than 3650 immutability days', { immutabilityDays: 3651 }, 'immutabilityDays'],
    ['an unknown consistency mode', { consistency: 'vss' }, 'consistency'],
    ['an unknown quiesce-failure action', { onQuiesceFailure: 'retry' }, 'onQuiesceFailure'],
    ['excluded disks that are not a list', { excludedDisks: 'Hard disk 2' }, 'excludedDisks'],
    ['a negative device key', { excludedDisks: [{ deviceKey: -1 }] }, 'excludedDisks[0]'],
    ['an empty disk label', { excludedDisks: [{ deviceKey: 2000 }, { label: '' }] }, 'excludedDisks[1]'],
    ['a disk named twice', { excludedDisks: [{ label: 'Hard disk 2' }, { label: 'hard disk 2' }] }, 'excludedDisks[1]'],
    ['a disk with both key and label', { excludedDisks: [{ deviceKey: 1, label: 'x' }] }, 'excludedDisks[0]'],
    ['windows that are not a list', { windows: {} }, 'windows'],
    ['a window without days', { windows: [{ days: [], start: '01:00', end: '02:00' }] }, 'windows[0].days'],
    ['a window on an unknown day', { windows: [{ days: ['monday'], start: '01:00', end: '02:00' }] }, 'windows[0].days'],
    ['a window with a day twice', { windows: [{ days: ['mon', 'mon'], start: '01:00', end: '02:00' }] }, 'windows[0].days'],
    ['a window starting at 24:00', { windows: [{ days: ['mon'], start: '24:00', end: '02:00' }] }, 'windows[0].start'],
    ['a window with a malformed start', { windows: [{ days: ['mon'], start: '1:00', end: '02:00' }] }, 'windows[0].start'],
    ['a window ending at 25:00', { windows: [{ days: ['mon'], start: '01:00', end: '25:00' }] }, 'windows[0].end'],
    ['an empty window', { windows: [{ days: ['mon'], start: '01:00', end: '01:00' }] }, 'windows[0].end'],
    ['an unknown window field', { windows: [{ days: ['mon'], start: '01:00', end: '02:00', tz: 'CET' }] }, 'windows[0].tz'],
    ['a replication site with spaces', { replicationSite: 'site b' }, 'replicationSite'],
    ['a replication site that is a number', { replicationSite: 3 }, 'replicationSite'],
    ['a hook set name with capitals', { hookSet: 'Postgres' }, 'hookSet'],
    ['a hook set name that is a path', { hookSet: '/etc/lifeline/hooks/freeze.sh' }, 'hookSet'],
    ['a hook set name that is a list', { hookSet: ['postgres'] }, 'hookSet'],
    ['copies to object storage without immutableDays', { copyToObjectStorage: { points: 'all' } }, 'copyToObjectStorage.immutableDays'],
    ['copies to object storage locked 0 days', { copyToObjectStorage: { immutableDays: 0 } }, 'copyToObjectStorage.immutableDays'],
    ['copies to object storage of unknown points', { copyToObjectStorage: { points: 'daily', immutableDays: 30 } }, 'copyToObjectStorage.points'],
    ['copies to object storage with an unknown field', { copyToObjectStorage: { immutableDays: 30, bucket: 'b' } }, 'copyToObjectStorage.bucket'],
    ['copies to object storage given as true', { copyToObjectStorage: true }, 'copyToObjectStorage'],
    ['an unknown field', { rpoMinutes: 5 }, 'rpoMinutes'],
  ];
  for (const [what, patch, field] of bad) {
    it(`refuses ${what}, naming ${field}`, () => {
      const input: Record<string, unknown> = { ...valid(), ...patch };
      for (const [k, v] of Object.entries(patch)) if (v === undefined) delete input[k];
      expect(fieldsOf(input)).toEqual([field]);
      const v = validatePolicy(input);
      if (!v.ok) expect(v.errors[0]?.message).toContain(field);
    });
  }

  it('states the allowed range in the message', () => {
    const v = validatePolicy({ ...valid(), rpoSeconds: 30, immutabilityDays: 0 });
    expect(v.ok).toBeFalse();
    if (!v.ok) {
      expect(v.errors.map((e) => e.message)).toEqual([
        'rpoSeconds must be a whole number of seconds from 60 (1 minute) to 86400 (24 hours)',
        'immutabilityDays must be a whole number of days from 1 to 3650',
      ]);
    }
  });

  it('reports every bad field at once, and parsePolicy throws them as a validation error', () => {
    const input = { name: '', rpoSeconds: 0, retention: {}, consistency: 'x' };
    expect(fieldsOf(input)).toEqual(['name', 'rpoSeconds', 'retention', 'consistency']);
    expect(fieldsOf(null)).toEqual(['']);
    let err: unknown;
    try {
      parsePolicy(input);
    } catch (e) {
      err = e;
    }
    expect(err instanceof LifelineError && err.code === 'validation').toBeTrue();
    expect(((err as LifelineError).details.errors as unknown[]).length).toBe(4);
  });
});

describe('isWithinWindows', () => {
  // 2025-01-06 is a Monday.
  const at = (day: number, hhmm: string) => Date.UTC(2025, 0, 5 + day, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3)));
  const nightly: BackupWindow[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00' }];

  it('is always open without windows', () => {
    expect(isWithinWindows([], at(1, '12:00'))).toBeTrue();
  });

  it('handles a window that wraps midnight, belonging to the day it opens', () => {
    expect(isWithinWindows(nightly, at(1, '21:59'))).toBeFalse(); // Monday evening, before
    expect(isWithinWindows(nightly, at(1, '22:00'))).toBeTrue();
    expect(isWithinWindows(nightly, at(2, '05:59'))).toBeTrue(); // Tuesday morning, Monday's window
    expect(isWithinWindows(nightly, at(2, '06:00'))).toBeFalse();
    expect(isWithinWindows(nightly, at(1, '03:00'))).toBeFalse(); // Monday morning: Sunday has no window
    expect(isWithinWindows(nightly, at(6, '03:00'))).toBeTrue(); // Saturday morning: Friday's window
    expect(isWithinWindows(nightly, at(6, '23:00'))).toBeFalse();
  });

  it('handles a plain window and an end of 24:00', () => {
    const w: BackupWindow[] = [{ days: ['sat'], start: '12:00', end: '24:00' }];
    expect(isWithinWindows(w, at(6, '11:59'))).toBeFalse();
    expect(isWithinWindows(w, at(6, '23:59'))).toBeTrue();
    expect(isWithinWindows(w, at(7, '00:00'))).toBeFalse();
  });
});
