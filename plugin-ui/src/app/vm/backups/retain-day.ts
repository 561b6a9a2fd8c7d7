/**
 * The days of the "Keep longer" dialog, as `<input type="date">` writes them (`YYYY-MM-DD`), in the
 * user's local time: a day chosen there means until that day has ended where the user is.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayOf(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local day `days` days after the local day of the ISO time `iso`. */
export function localDayOf(iso: string, days = 0): string {
  const time = new Date(iso);
  return dayOf(new Date(time.getFullYear(), time.getMonth(), time.getDate() + days));
}

/** The local date of a `YYYY-MM-DD` day at 00:00, or null when the text is no such day. */
function parseDay(day: string): Date | null {
  const match = DAY.exec(day);
  if (match === null) {
    return null;
  }
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const start = new Date(year, month - 1, date);
  // 2027-02-30 and the like roll over into another day: they are no day.
  return start.getFullYear() === year && start.getMonth() === month - 1 && start.getDate() === date ? start : null;
}

/** Whether `day` is a day and not before `earliest` (both `YYYY-MM-DD`). */
export function isDayFrom(day: string, earliest: string): boolean {
  // Days of four-digit years compare as text in calendar order.
  return parseDay(day) !== null && day >= earliest;
}

/** The last millisecond of the local day `day` (23:59:59.999 where the user is), as ISO; null when it is no day. */
export function endOfLocalDay(day: string): string | null {
  const start = parseDay(day);
  return start === null ? null : new Date(start.getFullYear(), start.getMonth(), start.getDate(), 23, 59, 59, 999).toISOString();
}
