import { MESSAGES_EN_US } from './messages-en-us';
import { formatMessage, messageTableFor } from './messages';

describe('messages', () => {
  it('fills named parameters', () => {
    expect(formatMessage('Virtual machine {moref} on {vcGuid}', { moref: 'vm-58', vcGuid: 'vc-1' })).toBe(
      'Virtual machine vm-58 on vc-1',
    );
    expect(formatMessage('HTTP status {status}', { status: 503 })).toBe('HTTP status 503');
  });

  it('leaves a placeholder without a value visible', () => {
    expect(formatMessage('Virtual machine {moref}')).toBe('Virtual machine {moref}');
  });

  it('falls back to US English for a locale without a table', () => {
    expect(messageTableFor('de-DE')).toBe(MESSAGES_EN_US);
  });
});
