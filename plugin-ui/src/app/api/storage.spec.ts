import { storageBody } from '../testing/server-bodies';
import { capacityLevel, readStorageFigures } from './storage';

describe('storage figures', () => {
  it('reads the server’s answer', () => {
    const figures = readStorageFigures(storageBody());
    expect(figures?.storedBytes).toBe(60 * 2 ** 30);
    expect(figures?.dedupRatio).toBe(2.5);
    expect(figures?.dataAddedPerDay.length).toBe(30);
    expect(figures?.dataAddedPerDay[29]).toEqual({ day: '2026-11-23', newBytes: 20 * 2 ** 30, points: 4 });
    expect(figures?.capacity).toEqual({ totalBytes: 4 * 2 ** 40, freeBytes: 3 * 2 ** 40, reserveBytes: 2 * 2 ** 30 });
  });

  it('reads a capacity that is null, or missing as from an older server, as no capacity', () => {
    expect(readStorageFigures(storageBody({ capacity: null }))?.capacity).toBeNull();
    const older = storageBody();
    delete older['capacity'];
    const figures = readStorageFigures(older);
    expect(figures).not.toBeNull();
    expect(figures?.capacity).toBeNull();
    expect(figures?.storedBytes).toBe(60 * 2 ** 30);
  });

  it('refuses an answer whose capacity is not three figures that are not negative', () => {
    const capacity = { totalBytes: 100, freeBytes: 50, reserveBytes: 10 };
    expect(readStorageFigures(storageBody({ capacity: { ...capacity, freeBytes: '50' } }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: { ...capacity, totalBytes: -1 } }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: { ...capacity, reserveBytes: -10 } }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: { ...capacity, freeBytes: Number.NaN } }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: { totalBytes: 100, freeBytes: 50 } }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: 100 }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: [100, 50, 10] }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity: 'unbounded' }))).toBeNull();
    expect(readStorageFigures(storageBody({ capacity }))?.capacity).toEqual(capacity);
  });

  it('calls the store full below the reserve, and low below twice the reserve or a tenth of the file system', () => {
    const GiB = 2 ** 30;
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 9 * GiB, reserveBytes: 10 * GiB })).toBe('full');
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 0, reserveBytes: 10 * GiB })).toBe('full');
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 10 * GiB, reserveBytes: 10 * GiB })).toBe('low');
    expect(capacityLevel({ totalBytes: 100 * GiB, freeBytes: 19 * GiB, reserveBytes: 10 * GiB })).toBe('low');
    expect(capacityLevel({ totalBytes: 100 * GiB, freeBytes: 20 * GiB, reserveBytes: 10 * GiB })).toBe('ok');
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 99 * GiB, reserveBytes: 1 * GiB })).toBe('low');
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 100 * GiB, reserveBytes: 1 * GiB })).toBe('ok');
    expect(capacityLevel({ totalBytes: 1000 * GiB, freeBytes: 1000 * GiB, reserveBytes: 0 })).toBe('ok');
  });

  it('refuses an answer with a missing, negative or non-numeric figure, or a bad day', () => {
    const withoutStored = storageBody();
    delete withoutStored['storedBytes'];
    expect(readStorageFigures(withoutStored)).toBeNull();
    expect(readStorageFigures(storageBody({ savedBytes: -1 }))).toBeNull();
    expect(readStorageFigures(storageBody({ dedupRatio: '2.5' }))).toBeNull();
    expect(readStorageFigures(storageBody({ dataAddedPerDay: [{ day: '23.11.2026', newBytes: 1, points: 1 }] }))).toBeNull();
    expect(readStorageFigures(storageBody({ dataAddedPerDay: [{ day: '2026-11-23', newBytes: 1 }] }))).toBeNull();
    expect(readStorageFigures(storageBody({ dataAddedPerDay: null }))).toBeNull();
    expect(readStorageFigures(null)).toBeNull();
  });
});
