/**
 * The vSphere Client's clone-ticket endpoint: `POST <vc>/api/ui/vcenter/session/clone-ticket`
 * with the user's token in `vmware-api-session-id` and `{"vc_guid": …}` as body answers
 * `{"session_clone_ticket": …}`, which SessionManager.CloneSession turns into a session of that
 * user. The connection is made to the configured vCenter only and pinned to its configured
 * thumbprint; the TLS handshake is checked before a single byte of the request (and so the
 * token) is written.
 */
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { whenPinned } from '../../domain/index.js';
import { LifelineError } from '../../errors/index.js';
import { AuthenticationError, type VcenterTarget } from './ports.js';

export const CLONE_TICKET_PATH = '/api/ui/vcenter/session/clone-ticket';
const MAX_RESPONSE_BYTES = 64 * 1024;

/** A vCenter could not be reached, or its certificate is not the pinned one. */
export class VcenterUnreachableError extends LifelineError {
  constructor(vcenter: VcenterTarget, reason: string, options?: { cause?: unknown }) {
    super('vcenter-unreachable', `vCenter ${vcenter.url} cannot be reached: ${reason}`, { vcenter: vcenter.guid }, options);
  }
}

/** Opens a TLS connection and keeps it only if the server's certificate has the pinned thumbprint. */
export function connectPinned(vcenter: VcenterTarget, signal: AbortSignal): Promise<TLSSocket> {
  const url = new URL(vcenter.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 443;
  // Chain validation is replaced by the pin: vCenters commonly use certificates of their own CA.
  const socket = connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
  return whenPinned(socket, `${host}:${port}`, {
    thumbprint: vcenter.thumbprint,
    signal,
    failed: (err) => new VcenterUnreachableError(vcenter, err.message, { cause: err }),
    mismatch: (seen) => new VcenterUnreachableError(vcenter, `its certificate thumbprint ${seen} is not the configured ${vcenter.thumbprint}`),
  }).then(() => socket);
}

/** Exchanges the user's token for a clone ticket. AuthenticationError when vCenter refuses it. */
export async function acquireCloneTicket(vcenter: VcenterTarget, token: string, signal: AbortSignal): Promise<string> {
  const url = new URL(CLONE_TICKET_PATH, vcenter.url);
  const body = JSON.stringify({ vc_guid: vcenter.guid });
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        signal,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'vmware-api-session-id': token,
        },
        createConnection: (_opts, done) => {
          connectPinned(vcenter, signal).then(
            (socket) => done(null, socket),
            (err: Error) => done(err, undefined as never),
          );
          return undefined;
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(new VcenterUnreachableError(vcenter, 'the clone-ticket answer is too large'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (err instanceof LifelineError || signal.aborted) reject(err);
      else reject(new VcenterUnreachableError(vcenter, err.message, { cause: err }));
    });
    req.end(body);
  });

  if (status === 401 || status === 403) {
    throw new AuthenticationError('vCenter did not accept the session token.', { vcenter: vcenter.guid });
  }
  if (status !== 200) {
    throw new LifelineError('vcenter-error', `vCenter answered the clone-ticket request with HTTP ${status}: ${vapiMessage(text)}`, {
      vcenter: vcenter.guid,
    });
  }
  let ticket: unknown;
  try {
    ticket = (JSON.parse(text) as { session_clone_ticket?: unknown }).session_clone_ticket;
  } catch {
    ticket = undefined;
  }
  if (typeof ticket !== 'string' || ticket === '') {
    throw new LifelineError('vcenter-error', 'vCenter answered the clone-ticket request without a ticket.', { vcenter: vcenter.guid });
  }
  return ticket;
}

/** The human part of a vAPI error body, without anything else it may carry. */
function vapiMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error_type?: unknown; messages?: Array<{ default_message?: unknown }> };
    const msg = parsed.messages?.[0]?.default_message;
    return [parsed.error_type, msg].filter((v) => typeof v === 'string').join(': ') || 'no message';
  } catch {
    return 'no message';
  }
}
