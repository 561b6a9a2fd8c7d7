/**
 * How a source site's master key reaches its DR site (docs/replication.md, "The seed"). The seed
 * (store/replica.ts) holds the source's sealed config and its master key wrapped under a transfer
 * secret. Here the transfer secret is 32 random bytes made for this one transfer, and it travels
 * encrypted to the DR site's certificate key (RSA-OAEP with SHA-256): the key of the very
 * certificate the source pinned when it paired. So the seed is useless to anyone who sees the
 * request body (a proxy that ends TLS, a request log, a core dump of a machine in between) without
 * the DR site's private key, and the DR site holds the master key only wrapped under its own
 * passphrase, on disk and in every copy it makes. Neither side stores the transfer secret.
 */
import { constants, createPrivateKey, privateDecrypt, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { LifelineError } from '../errors/index.js';
import { exportReplicaSeed, type ReplicaSeed, type Repository, type ScryptParams } from '../store/index.js';

/** A seed as it crosses to the DR site. */
export interface SeedTransfer {
  format: 'lifeline-seed-transfer/1';
  seed: ReplicaSeed;
  /** base64: the transfer secret, RSA-OAEP (SHA-256) encrypted to the DR site's certificate key. */
  secret: string;
}

/** Makes a seed of `repo` that only the holder of `peerCertDer`'s private key can open. */
export async function sealSeedFor(repo: Repository, peerCertDer: Uint8Array, signal: AbortSignal, opts: { scrypt?: ScryptParams } = {}): Promise<SeedTransfer> {
  const cert = new X509Certificate(Buffer.from(peerCertDer));
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new LifelineError('replication-refused', `the DR site's certificate has a ${String(cert.publicKey.asymmetricKeyType)} key; the seed is encrypted to RSA keys only`);
  }
  const secret = randomBytes(32).toString('base64url');
  const seed = await exportReplicaSeed(repo, secret, signal, opts.scrypt ? { scrypt: opts.scrypt } : {});
  const sealed = publicEncrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(secret));
  return { format: 'lifeline-seed-transfer/1', seed, secret: sealed.toString('base64') };
}

/** The transfer secret of a seed sent to this site, decrypted with this site's certificate key. */
export function openSeedSecret(transfer: SeedTransfer, keyPem: string): string {
  if (transfer?.format !== 'lifeline-seed-transfer/1' || typeof transfer.secret !== 'string' || typeof transfer.seed !== 'object' || transfer.seed === null) {
    throw new LifelineError('validation', 'not a Lifeline seed transfer', { field: 'seed' });
  }
  try {
    return privateDecrypt({ key: createPrivateKey(keyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(transfer.secret, 'base64')).toString();
  } catch {
    throw new LifelineError('validation', 'the seed\'s transfer secret is not encrypted to this site\'s certificate', { field: 'secret' });
  }
}
