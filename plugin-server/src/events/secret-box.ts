/**
 * Channel secrets at rest: sealed with AES-256-GCM under a key kept in its own file in the data
 * directory (mode 0600), so the server's database alone (a copy, a backup of it) does not give
 * away the secrets that sign Lifeline's webhooks.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { LifelineError } from '../errors/index.js';

export interface SecretBox {
  seal(secret: string): string;
  open(sealed: string): string;
}

export const EVENTS_KEY_FILE = 'events.key';

/** The key in `file`, made on first use. */
export function fileSecretBox(file: string): SecretBox {
  let key: Buffer;
  try {
    key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    key = randomBytes(32);
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  if (key.length !== 32) throw new LifelineError('validation', `the events key file ${file} does not hold a 256-bit key`, { field: 'events.key' });
  return {
    seal(secret) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
      return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed) {
      const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    },
  };
}
