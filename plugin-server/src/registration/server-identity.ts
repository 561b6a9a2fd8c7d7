/**
 * The Lifeline server's certificate as vCenter will see it. vCenter pins the SHA-256 thumbprint
 * given at registration and refuses the plugin when the server presents another, so the
 * thumbprint is read from the server actually answering at the plugin URL (and compared with one
 * given by hand) rather than trusted from a flag alone.
 */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { LifelineError } from '../errors/index.js';
import { normalizeServerThumbprint } from './extension-plan.js';

export interface ServerProbe {
  /** SHA-256 thumbprint of the certificate the server presented. */
  readonly thumbprint: string;
  /** HTTP status of GET on the plugin URL. */
  readonly status: number;
  /** The certificate the server presented, in PEM; absent when a probe cannot tell. */
  readonly certificatePem?: string | undefined;
}

/** DER bytes as one PEM certificate (RFC 7468: base64 in lines of 64). */
export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** The server at the plugin URL could not be reached or did not complete TLS. */
export class ServerUnreachableError extends LifelineError {
  constructor(url: string, reason: string) {
    super('registration-server-unreachable', `the Lifeline server at ${url} cannot be reached: ${reason}`, { url });
  }
}

/** Reads the plugin URL's certificate; a function type so callers and tests can substitute it. */
export type ProbeServer = (pluginUrl: string, signal?: AbortSignal) => Promise<ServerProbe>;

/**
 * Connects to the plugin URL, reads the certificate the server presents and fetches the manifest.
 * The certificate is deliberately not validated: it is self-signed, and learning its thumbprint is
 * the point. Nothing secret is sent.
 */
export const probeServer: ProbeServer = (pluginUrl, signal) =>
  new Promise<ServerProbe>((resolve, reject) => {
    const req = https.get(pluginUrl, { rejectUnauthorized: false, agent: false, timeout: 15_000, signal, headers: { accept: 'application/json' } }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      const presented = cert.fingerprint256;
      res.resume();
      res.on('end', () => {
        if (!presented) reject(new ServerUnreachableError(pluginUrl, 'the server presented no certificate'));
        else resolve({ thumbprint: presented, status: res.statusCode ?? 0, certificatePem: cert.raw ? derToPem(cert.raw) : undefined });
      });
      res.on('error', (err) => reject(new ServerUnreachableError(pluginUrl, err.message)));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') reject(err);
      else reject(new ServerUnreachableError(pluginUrl, err.code ?? err.message));
    });
  });

/** The thumbprint given with --server-thumbprint differs from the one the server presents. */
export class ServerThumbprintMismatchError extends LifelineError {
  constructor(url: string, given: string, presented: string) {
    super(
      'registration-server-thumbprint-mismatch',
      `the server at ${url} presents a certificate with the SHA-256 thumbprint ${presented}, but --server-thumbprint is ${given}; ` +
        'check that --plugin-url names this Lifeline server, or drop --server-thumbprint to use the certificate it presents',
      { url, given, presented },
    );
  }
}

/**
 * `register` was run without --server-thumbprint: the thumbprint the server at the plugin URL
 * presents is shown, and the flag is required, so that the certificate vCenter will pin is one an
 * administrator checked rather than whatever answered at that moment.
 */
export class ServerThumbprintUnconfirmedError extends LifelineError {
  constructor(url: string, presented: string) {
    super(
      'registration-server-thumbprint-unconfirmed',
      `the server at ${url} presents a certificate with the SHA-256 thumbprint ${presented}. ` +
        `Check that it is your Lifeline server's (lifeline serve prints its thumbprint), then run the command again with --server-thumbprint ${presented}`,
      { url, presented },
    );
  }
}

export interface ResolvedServerThumbprint {
  readonly thumbprint: string;
  /** The certificate in PEM, when the server answered and presented the confirmed thumbprint. */
  readonly certificatePem?: string | undefined;
  /** Where it came from: the answering server, the flag, or both agreeing. */
  readonly source: 'server' | 'flag' | 'server-and-flag';
  /** Why the server could not be asked, when only the flag was used. */
  readonly unreachable?: string | undefined;
}

/**
 * The server thumbprint to register. With a thumbprint given by hand an unreachable server is
 * tolerated (vCenter may reach it where this machine cannot); a reachable one must agree.
 */
export async function resolveServerThumbprint(
  pluginUrl: string,
  given: string | undefined,
  probe: ProbeServer,
  signal?: AbortSignal,
): Promise<ResolvedServerThumbprint> {
  const expected = given !== undefined ? normalizeServerThumbprint(given) : undefined;
  let answer: ServerProbe;
  try {
    answer = await probe(pluginUrl, signal);
  } catch (err) {
    if (expected !== undefined && err instanceof ServerUnreachableError) {
      return { thumbprint: expected, source: 'flag', unreachable: err.message };
    }
    if (err instanceof ServerUnreachableError) {
      throw new LifelineError('registration-server-unreachable', `${err.message}; start it, or give its certificate's thumbprint with --server-thumbprint`, err.details);
    }
    throw err;
  }
  if (answer.status !== 200) {
    throw new LifelineError(
      'registration-no-manifest',
      `the server at ${pluginUrl} answers HTTP ${answer.status}, not the plugin manifest; check --plugin-url`,
      { url: pluginUrl, status: answer.status },
    );
  }
  if (expected !== undefined && expected !== answer.thumbprint) throw new ServerThumbprintMismatchError(pluginUrl, expected, answer.thumbprint);
  return {
    thumbprint: answer.thumbprint,
    source: expected !== undefined ? 'server-and-flag' : 'server',
    ...(answer.certificatePem !== undefined ? { certificatePem: answer.certificatePem } : {}),
  };
}
