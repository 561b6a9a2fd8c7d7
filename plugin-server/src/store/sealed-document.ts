/**
 * Small JSON documents the repository must be able to trust — restore point manifests and the
 * repository config — are stored sealed: two lines,
 *
 *   <payload>
 *   hmac-sha256:<hex of HMAC(mac key, payload)>
 *
 * where the payload is the JSON text, or in an encrypted repository (for manifests) "gcm:" and the
 * base64 of nonce ‖ AES-256-GCM ciphertext ‖ tag, so that VM names and configuration are not
 * readable from the storage. Any edit to a sealed document is detected before it is parsed.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { macEqual } from './keys.js';
import { StoreError } from './store-error.js';

const MAC_PREFIX = 'hmac-sha256:';

export function sealDocument(doc: unknown, macKey: Uint8Array, encryptKey: Uint8Array | undefined): Uint8Array {
  const json = JSON.stringify(doc);
  let payload = json;
  if (encryptKey) {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', encryptKey, nonce);
    const body = Buffer.concat([c.update(json, 'utf8'), c.final()]);
    payload = `gcm:${Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64')}`;
  }
  const mac = createHmac('sha256', macKey).update(payload).digest('hex');
  return Buffer.from(`${payload}\n${MAC_PREFIX}${mac}\n`, 'utf8');
}

/** The payload's JSON text without checking its MAC; only for the config, read before any key. */
export function unsealedText(bytes: Uint8Array, what: string): string {
  const text = Buffer.from(bytes).toString('utf8');
  const nl = text.indexOf('\n');
  if (nl < 0) throw invalid(what, 'not a sealed document');
  return text.slice(0, nl);
}

export function openDocument(bytes: Uint8Array, macKey: Uint8Array, encryptKey: Uint8Array | undefined, what: string): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  const lines = text.split('\n');
  if (lines.length !== 3 || lines[2] !== '' || !lines[1]?.startsWith(MAC_PREFIX)) throw invalid(what, 'not a sealed document');
  const payload = lines[0] ?? '';
  const mac = Buffer.from(lines[1].slice(MAC_PREFIX.length), 'hex');
  if (!macEqual(mac, createHmac('sha256', macKey).update(payload).digest())) throw invalid(what, 'authentication failed (the document was altered or belongs to another repository)');
  let json = payload;
  if (payload.startsWith('gcm:')) {
    if (!encryptKey) throw invalid(what, 'encrypted document in an unencrypted repository');
    const blob = Buffer.from(payload.slice(4), 'base64');
    try {
      const d = createDecipheriv('aes-256-gcm', encryptKey, blob.subarray(0, 12));
      d.setAuthTag(blob.subarray(blob.length - 16));
      json = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]).toString('utf8');
    } catch {
      throw invalid(what, 'does not decrypt');
    }
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw invalid(what, 'not JSON');
  }
}

function invalid(what: string, why: string): StoreError {
  return new StoreError('manifest-invalid', `${what} is invalid: ${why}`, { what });
}
