import type { MessageKey } from './messages-en-us';
import type { MessageParams } from './messages';

type Text = (key: MessageKey, params?: MessageParams) => string;

const UNITS: readonly MessageKey[] = ['bytes.B', 'bytes.KiB', 'bytes.MiB', 'bytes.GiB', 'bytes.TiB', 'bytes.PiB'];

/**
 * A byte count the way vSphere shows disk sizes: binary units, one decimal below 10 of a unit
 * ("1.5 GiB", "40 GiB"), in the locale's digits.
 */
export function formatBytes(bytes: number, locale: string, text: Text): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  return text(UNITS[unit] as MessageKey, { n });
}
