/**
 * The server's TLS identity. A vCenter pins the SHA-256 thumbprint of the plugin server's
 * certificate at registration, so the certificate is made once, at first start, and then kept:
 * a new one would silently break every registration. It is self-signed on purpose; an
 * administrator who wants a CA-issued certificate replaces both files and re-registers.
 *
 * Files in `<data dir>/tls/`: `server.key` (PKCS#8 PEM, mode 0600) and `server.crt` (PEM).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { LifelineError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';

export interface ServerCertificate {
  readonly keyPem: string;
  readonly certPem: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex, as vSphere writes it. */
  readonly thumbprint: string;
  readonly notAfter: Date;
  readonly keyFile: string;
  readonly certFile: string;
  /** True when this call made the certificate. */
  readonly created: boolean;
}

export interface ServerCertificateOptions {
  readonly dataDir: string;
  /** Extra names for the certificate's subjectAltName, e.g. the configured listen host. */
  readonly names?: readonly string[];
  readonly log: Logger;
  readonly clock?: () => Date;
  readonly signal?: AbortSignal;
}

/** Lifetime of a generated certificate. Long, because replacing it means re-registering. */
const VALIDITY_DAYS = 3650;
/** How early an approaching expiry is reported at each start. */
const EXPIRY_WARNING_DAYS = 30;

/** Loads the server certificate from the data directory, creating it at first start. */
export async function ensureServerCertificate(opts: ServerCertificateOptions): Promise<ServerCertificate> {
  const clock = opts.clock ?? (() => new Date());
  const dir = join(opts.dataDir, 'tls');
  const keyFile = join(dir, 'server.key');
  const certFile = join(dir, 'server.crt');
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const [keyPem, certPem] = await Promise.all([readIfPresent(keyFile, opts.signal), readIfPresent(certFile, opts.signal)]);
  if (keyPem !== null && certPem !== null) {
    const cert = parsePair(keyPem, certPem, keyFile, certFile);
    await tightenKeyMode(keyFile, opts.log);
    const notAfter = new Date(cert.validTo);
    const daysLeft = (notAfter.getTime() - clock().getTime()) / 86_400_000;
    if (daysLeft < EXPIRY_WARNING_DAYS) {
      // Not replaced automatically: the vCenter registrations pin this thumbprint.
      opts.log.warn(daysLeft < 0 ? 'server certificate has expired' : 'server certificate expires soon', {
        certFile,
        notAfter: notAfter.toISOString(),
      });
    }
    return { keyPem, certPem, thumbprint: cert.fingerprint256, notAfter, keyFile, certFile, created: false };
  }
  if (keyPem !== null || certPem !== null) {
    // Half a pair cannot be used, and the missing half cannot be recovered; say so rather than
    // replace the identity vCenter registrations pin.
    throw new LifelineError(
      'tls-incomplete',
      `The server's TLS files are incomplete: ${keyPem === null ? keyFile : certFile} is missing. ` +
        `Restore it, or remove ${keyPem === null ? certFile : keyFile} to make a new certificate (vCenter registrations must then be updated).`,
      { keyFile, certFile },
    );
  }

  const made = await generateCertificate(opts.names ?? [], clock());
  opts.signal?.throwIfAborted();
  // The key is written first and under a temporary name, so a crash never leaves a certificate
  // whose key is missing, nor a readable key.
  await writeAtomically(keyFile, made.keyPem, 0o600);
  await writeAtomically(certFile, made.certPem, 0o644);
  const cert = new X509Certificate(made.certPem);
  opts.log.info('server certificate created', { certFile, thumbprint: cert.fingerprint256, notAfter: cert.validTo });
  return {
    keyPem: made.keyPem,
    certPem: made.certPem,
    thumbprint: cert.fingerprint256,
    notAfter: new Date(cert.validTo),
    keyFile,
    certFile,
    created: true,
  };
}

async function generateCertificate(names: readonly string[], now: Date): Promise<{ keyPem: string; certPem: string }> {
  const host = hostname();
  const dns = new Set(['localhost', host]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const n of names) {
    if (n === '0.0.0.0' || n === '::' || n === '') continue;
    if (/^[\d.]+$/.test(n) || n.includes(':')) ips.add(n);
    else dns.add(n);
  }
  const notBeforeDate = new Date(now.getTime() - 60_000); // tolerate a little clock skew
  const pems = await generate([{ name: 'commonName', value: host }, { name: 'organizationName', value: 'Lifeline' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      // Presented as a server certificate and, towards paired sites, as a client certificate.
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...[...dns].map((value) => ({ type: 2 as const, value })), ...[...ips].map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { keyPem: pems.private, certPem: pems.cert };
}

function parsePair(keyPem: string, certPem: string, keyFile: string, certFile: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new LifelineError('tls-invalid', `${certFile} is not a PEM certificate`, { certFile }, { cause: err });
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new LifelineError('tls-invalid', `${keyFile} is not a PEM private key`, { keyFile }, { cause: err });
  }
  if (!matches) {
    throw new LifelineError('tls-invalid', `${keyFile} is not the key of ${certFile}`, { keyFile, certFile });
  }
  return cert;
}

async function readIfPresent(file: string, signal: AbortSignal | undefined): Promise<string | null> {
  try {
    return await readFile(file, { encoding: 'utf8', signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function tightenKeyMode(keyFile: string, log: Logger): Promise<void> {
  const mode = (await stat(keyFile)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(keyFile, 0o600);
    log.warn('server key was readable by others; its mode is now 0600', { keyFile, was: mode.toString(8) });
  }
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, content, { mode });
    // The umask may have narrowed the mode, or a stale temporary file have kept a wider one.
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
