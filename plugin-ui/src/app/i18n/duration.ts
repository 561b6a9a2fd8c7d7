import type { MessageKey } from './messages-en-us';
import type { MessageParams } from './messages';

type Text = (key: MessageKey, params?: MessageParams) => string;

/**
 * A span of seconds the way an administrator reads an RPO or an age: the two largest units that
 * matter ("2 h 5 min"), never a decimal fraction.
 */
export function formatDuration(seconds: number, text: Text): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return text('duration.seconds', { s });
  }
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return text('duration.minutes', { m: minutes });
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return m === 0 ? text('duration.hours', { h: hours }) : text('duration.hoursMinutes', { h: hours, m });
  }
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? text('duration.days', { d: days }) : text('duration.daysHours', { d: days, h });
}
