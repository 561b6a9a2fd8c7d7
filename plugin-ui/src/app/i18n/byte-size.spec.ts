import { formatBytes } from './byte-size';
import { formatMessage, type MessageParams } from './messages';
import { MESSAGES_EN_US } from './messages-en-us';

describe('formatBytes', () => {
  const text = (key: keyof typeof MESSAGES_EN_US, params?: MessageParams) => formatMessage(MESSAGES_EN_US[key], params);

  it('uses binary units with one decimal below ten', () => {
    expect(formatBytes(0, 'en-US', text)).toBe('0 B');
    expect(formatBytes(1023, 'en-US', text)).toBe('1,023 B');
    expect(formatBytes(1536, 'en-US', text)).toBe('1.5 KiB');
    expect(formatBytes(40 * 2 ** 30, 'en-US', text)).toBe('40 GiB');
    expect(formatBytes(3 * 2 ** 40 + 2 ** 39, 'en-US', text)).toBe('3.5 TiB');
  });

  it('writes numbers in the locale of the vSphere Client', () => {
    expect(formatBytes(1536 * 2 ** 20, 'de-DE', text)).toBe('1,5 GiB');
  });
});
