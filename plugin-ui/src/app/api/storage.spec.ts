import { storageBody } from '../testing/server-bodies';
import { readStorageFigures } from './storage';

describe('storage figures', () => {
  it('reads the server’s answer', () => {
    const figures = readStorageFigures(storageBody());
    expect(figures?.storedBytes).toBe(60 * 2 ** 30);
    expect(figures?.dedupRatio).toBe(2.5);
    expect(figures?.dataAddedPerDay.length).toBe(30);
    expect(figures?.dataAddedPerDay[29]).toEqual({ day: '2026-11-23', newBytes: 20 * 2 ** 30, points: 4 });
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
