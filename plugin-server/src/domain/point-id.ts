/**
 * A restore point's id: its creation time to the second (UTC) and 8 random hex digits, e.g.
 * `20250102-030405-1a2b3c4d`, so that ids sort by creation time and two points made in the same
 * second by different processes do not collide.
 */
import type { RandomBytes } from './clock.js';

const POINT_ID = /^\d{8}-\d{6}-[0-9a-f]{8}$/;

export function newPointId(createdAt: number, random: RandomBytes): string {
  const iso = new Date(createdAt).toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${stamp}-${Buffer.from(random(4)).toString('hex')}`;
}

export function isPointId(id: string): boolean {
  return POINT_ID.test(id);
}
