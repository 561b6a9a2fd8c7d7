/**
 * Pairing, from both ends (docs/replication.md, "Pairing"). On the DR site (the target) an
 * administrator allows pairing and gets a one-time code; on the production site (the source) an
 * administrator gives the target's address, confirms its thumbprint and types the code. The
 * source then calls the target's pairing route over mutual TLS pinned to that thumbprint; both
 * prove they know the code with HMACs over both certificates' thumbprints, and each records the
 * other. Unpairing at either end removes the pairing there and tells the other end, which
 * removes it too; from then on each refuses the other's certificate.
 */
import { LifelineError, ValidationError, describeError, isLifelineError } from '../errors/index.js';
import { normaliseThumbprint, requireThumbprint, systemRandomBytes, type RandomBytes, type TimeSource } from '../domain/index.js';
import { SITE_NAME } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { newPairingCode, normalisePairingCode, pairingCodeKeys, pairingProof, sameProof, PAIRING_CODE_TTL_MS } from './pairing-code.js';
import { alreadyPaired, type SqlitePeerStore } from './peer-store.js';
import { parseReplicationSettings } from './replication-settings.js';
import { peerRefusal, probeSite, siteRequest } from './site-client.js';
import type { PeerRecord, ReplicationSettings, SiteIdentity } from './site-types.js';

const CODE_ID = /^[0-9a-f]{64}$/;
const PROOF = /^[0-9a-f]{64}$/;

export interface SiteSelf {
  readonly name: string;
  /** https://host:port of this site's listener, as peers reach it. */
  readonly siteUrl: string;
  readonly thumbprint: string;
}

export interface NewPairingCode {
  /** Shown once; never stored, logged or sent by this site. */
  readonly code: string;
  readonly expiresAt: string;
  readonly thumbprint: string;
  readonly siteUrl: string;
}

export interface PairRequest {
  readonly url: string;
  readonly thumbprint: string;
  readonly code: string;
  readonly settings: ReplicationSettings;
}

/** What the source sends the target's pairing route. */
export interface PairingOffer {
  readonly codeId: string;
  readonly proof: string;
  readonly name: string;
  readonly siteUrl: string;
  readonly settings: ReplicationSettings;
}

/** The target's answer. */
export interface PairingAnswer {
  readonly name: string;
  readonly thumbprint: string;
  readonly proof: string;
}

export interface SiteServiceOptions {
  readonly store: SqlitePeerStore;
  readonly identity: SiteIdentity;
  /** The listener's URL; known once it listens. */
  readonly siteUrl: () => string;
  readonly clock: TimeSource;
  readonly log: Logger;
  readonly randomBytes?: RandomBytes;
  /** How long a call to a peer may take; for tests. */
  readonly timeoutMs?: number;
  /** Told of each pairing made, ended or refused (events out). */
  readonly onPairing?: (change: PairingChangeNote) => void;
}

/** A pairing made, ended or refused, as events out tell it. */
export interface PairingChangeNote {
  change: 'paired' | 'unpaired' | 'refused';
  siteId: string | null;
  name: string | null;
  url: string | null;
  role: 'source' | 'target' | null;
  by?: 'here' | 'peer';
  error?: { code: string; message: string };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `https://host:port` of a site listener; the field is named in the error. */
export function parseSiteUrl(raw: unknown, field = 'url'): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new ValidationError(`${field} must be the https:// address of a Lifeline site, e.g. https://dr.example.com:8543`, { field });
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValidationError(`${field} is not a URL: ${JSON.stringify(raw)}`, { field });
  }
  if (url.protocol !== 'https:') throw new ValidationError(`${field} must be an https:// address, got ${JSON.stringify(raw)}`, { field });
  if (url.username || url.password) throw new ValidationError(`${field} must not carry credentials`, { field });
  if (!['', '/', '/site/v1', '/site/v1/'].includes(url.pathname) || url.search || url.hash) {
    throw new ValidationError(`${field} must be https://<host>[:port] with no path, got ${JSON.stringify(raw)}`, { field });
  }
  return url.origin;
}

export class SiteService {
  private readonly randomBytes: RandomBytes;

  constructor(private readonly opts: SiteServiceOptions) {
    this.randomBytes = opts.randomBytes ?? systemRandomBytes;
  }

  /** The paired peers: the PeerDirectory replication asks. */
  get directory(): SqlitePeerStore {
    return this.opts.store;
  }

  /** This site's TLS identity for requests to peers. */
  get identity(): SiteIdentity {
    return this.opts.identity;
  }

  self(): SiteSelf {
    return { name: this.opts.identity.name, siteUrl: this.opts.siteUrl(), thumbprint: this.opts.identity.thumbprint };
  }

  /** Allow pairing: a new one-time code. Only its derived id and key are stored. */
  issueCode(): NewPairingCode {
    const code = newPairingCode(this.randomBytes);
    const keys = pairingCodeKeys(normalisePairingCode(code) as string);
    const expiresAt = this.opts.store.issueCode(keys.id, keys.key, PAIRING_CODE_TTL_MS);
    this.opts.log.info('pairing allowed: a one-time pairing code was issued', { expiresAt: new Date(expiresAt).toISOString() });
    return { code, expiresAt: new Date(expiresAt).toISOString(), thumbprint: this.opts.identity.thumbprint, siteUrl: this.opts.siteUrl() };
  }

  /** Who answers at `url` (wizard step 2): the thumbprint it presents and the name it reports. */
  async probe(rawUrl: unknown, signal?: AbortSignal): Promise<{ name: string; thumbprint: string; url: string }> {
    const url = parseSiteUrl(rawUrl);
    const reply = await probeSite(url, { ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}), ...(signal ? { signal } : {}) });
    const body = isRecord(reply.body) ? reply.body : {};
    if (reply.status !== 200 || typeof body['name'] !== 'string' || typeof body['thumbprint'] !== 'string') {
      throw new LifelineError('site-error', `the server at ${url} answered ${reply.status} and is not a Lifeline site listener (is the port that of the site listener, 8543 by default?)`, { url });
    }
    const presented = normaliseThumbprint(reply.thumbprint);
    if (presented === null || normaliseThumbprint(body['thumbprint']) !== presented) {
      throw new LifelineError(
        'site-thumbprint-mismatch',
        `the site at ${url} says its certificate is ${body['thumbprint']} but presents ${reply.thumbprint || '(none)'}: something between the sites answers in its place`,
        { url },
      );
    }
    return { name: body['name'], thumbprint: presented, url };
  }

  private told(change: PairingChangeNote): void {
    try {
      this.opts.onPairing?.(change);
    } catch (err) {
      this.opts.log.error('pairing change not told', { error: describeError(err) });
    }
  }

  /** Pair with the DR site at `req.url` (this site becomes the source). */
  async pair(raw: unknown, signal?: AbortSignal): Promise<PeerRecord> {
    const req = parsePairRequest(raw);
    try {
      const peer = await this.pairWith(req, signal);
      this.told({ change: 'paired', siteId: peer.id, name: peer.name, url: peer.url, role: 'target' });
      return peer;
    } catch (err) {
      // Refused by the peer, or its answer refused here; not a request that was wrong to begin with.
      if (isLifelineError(err) && err.code !== 'validation') this.told({ change: 'refused', siteId: null, name: null, url: req.url, role: 'target', error: { code: err.code, message: err.message } });
      throw err;
    }
  }

  private async pairWith(req: ReturnType<typeof parsePairRequest>, signal?: AbortSignal): Promise<PeerRecord> {
    const identity = this.opts.identity;
    if (req.thumbprint === identity.thumbprint) throw new ValidationError('thumbprint is this site\'s own: a site cannot pair with itself', { field: 'thumbprint' });
    const existing = this.opts.store.conflicting({ name: '\u0000', url: req.url, thumbprint: req.thumbprint });
    if (existing) throw alreadyPaired(existing, { name: '\u0000', url: req.url, thumbprint: req.thumbprint });
    const keys = pairingCodeKeys(req.code);
    const offer: PairingOffer = {
      codeId: keys.id,
      proof: pairingProof(keys.key, 'source', identity.thumbprint, req.thumbprint),
      name: identity.name,
      siteUrl: this.opts.siteUrl(),
      settings: req.settings,
    };
    const reply = await siteRequest(req.url, req.thumbprint, identity, {
      method: 'POST',
      path: '/pairing',
      body: offer,
      ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}),
      ...(signal ? { signal } : {}),
    });
    if (reply.status !== 201) throw peerRefusal(req.url, reply);
    const answer = isRecord(reply.body) ? reply.body : {};
    const name = answer['name'];
    const proof = answer['proof'];
    const expected = pairingProof(keys.key, 'target', identity.thumbprint, req.thumbprint);
    if (typeof proof !== 'string' || !sameProof(proof, expected)) {
      // The site at that address holds the confirmed certificate's key but not the code.
      throw new LifelineError('site-thumbprint-mismatch', `the site at ${req.url} did not prove that it knows the pairing code: nothing was paired`, { url: req.url });
    }
    if (typeof name !== 'string' || !SITE_NAME.test(name)) throw new LifelineError('site-error', `the site at ${req.url} reported a name that is not a site name: ${JSON.stringify(name)}`, { url: req.url });
    try {
      const peer = this.opts.store.add({ name, url: req.url, thumbprint: req.thumbprint, role: 'target', settings: req.settings });
      this.opts.log.info('paired with a DR site', { site: peer.id, name, url: req.url, thumbprint: req.thumbprint });
      return peer;
    } catch (err) {
      // The target recorded us; it must not keep a pairing we refused.
      await this.tellUnpaired({ url: req.url, thumbprint: req.thumbprint, name });
      throw err;
    }
  }

  /** The target's side of pairing: `clientThumbprint` is the certificate the TLS connection presented. */
  acceptPairing(raw: unknown, clientThumbprint: string): { peer: PeerRecord; answer: PairingAnswer } {
    try {
      const accepted = this.accept(raw, clientThumbprint);
      this.told({ change: 'paired', siteId: accepted.peer.id, name: accepted.peer.name, url: accepted.peer.url, role: 'source' });
      return accepted;
    } catch (err) {
      const offered = isRecord(raw) ? raw : {};
      const name = typeof offered['name'] === 'string' ? offered['name'].slice(0, 64) : null;
      const url = typeof offered['siteUrl'] === 'string' ? offered['siteUrl'].slice(0, 300) : null;
      this.told({ change: 'refused', siteId: null, name, url, role: 'source', error: { code: isLifelineError(err) ? err.code : 'internal', message: describeError(err) } });
      throw err;
    }
  }

  private accept(raw: unknown, clientThumbprint: string): { peer: PeerRecord; answer: PairingAnswer } {
    const offer = parseOffer(raw);
    const taken = this.opts.store.takeCode(offer.codeId, clientThumbprint);
    if (!taken.ok) throw new LifelineError('pairing-code-invalid', taken.reason);
    const own = this.opts.identity.thumbprint;
    if (!sameProof(offer.proof, pairingProof(taken.key, 'source', clientThumbprint, own))) {
      throw new LifelineError(
        'site-thumbprint-mismatch',
        `the pairing proof does not match the certificates of this connection (the client presented ${clientThumbprint}, this site presents ${own}): the pairing went through another server, or the code is wrong; the code is used up, allow pairing again`,
        { presented: clientThumbprint },
      );
    }
    const peer = this.opts.store.add({ name: offer.name, url: offer.siteUrl, thumbprint: clientThumbprint, role: 'source', settings: offer.settings });
    this.opts.log.info('paired with a source site', { site: peer.id, name: peer.name, url: peer.url, thumbprint: clientThumbprint });
    return { peer, answer: { name: this.opts.identity.name, thumbprint: own, proof: pairingProof(taken.key, 'target', clientThumbprint, own) } };
  }

  updateSettings(id: string, raw: unknown): PeerRecord {
    const peer = this.require(id);
    if (!isRecord(raw)) throw new ValidationError('the body must be { "settings": { … } }', { field: '' });
    for (const k of Object.keys(raw)) if (k !== 'settings') throw new ValidationError(`${k}: unknown member (only settings can be changed)`, { field: k });
    const next = parseReplicationSettings(raw['settings'], 'settings', peer.settings);
    // Each side acts on its own part of the settings: the source sends (bandwidth, window, VMs at
    // once), the DR site keeps (retention, immutability). A change here to the part the other
    // side acts on would be stored and never acted on: it is refused, naming where to make it.
    const theirs: readonly (keyof ReplicationSettings)[] = peer.role === 'target' ? ['retention', 'immutableDays'] : ['bandwidthMBps', 'window', 'maxConcurrentVms'];
    for (const key of theirs) {
      if (JSON.stringify(next[key]) !== JSON.stringify(peer.settings[key])) {
        const where = peer.role === 'target' ? `the DR site ${peer.name} keeps its replicas by its own` : `the source site ${peer.name} sends by its own`;
        throw new ValidationError(`settings.${key} cannot be changed here: ${where} copy of it; change it in that site's Sites view`, { field: `settings.${key}` });
      }
    }
    return this.opts.store.updateSettings(peer.id, next);
  }

  /** Unpairs here and tells the peer; whether the peer was told. */
  async unpair(id: string): Promise<{ peer: PeerRecord; peerTold: boolean }> {
    const peer = this.require(id);
    this.opts.store.remove(peer.id);
    this.opts.log.info('unpaired', { site: peer.id, name: peer.name });
    this.told({ change: 'unpaired', siteId: peer.id, name: peer.name, url: peer.url, role: peer.role, by: 'here' });
    return { peer, peerTold: await this.tellUnpaired(peer) };
  }

  /**
   * The peer unpaired us. A DR site of ours: its pairing goes. A source site whose replicas we
   * hold: its pairing stays, marked, and its requests are refused from now on; the replicas,
   * failover and drills from them stay until an administrator here unpairs it. The DR copy is this
   * site's to keep: a source site, compromised or not, cannot take it out of this site's reach.
   */
  unpairedByPeer(peer: PeerRecord): void {
    if (peer.role === 'source') {
      this.opts.store.markUnpairedByPeer(peer.id);
      this.opts.log.info('the source site unpaired this site; its replicas stay here until it is unpaired here', { site: peer.id, name: peer.name });
    } else {
      this.opts.store.remove(peer.id);
      this.opts.log.info('the peer unpaired this site', { site: peer.id, name: peer.name });
    }
    this.told({ change: 'unpaired', siteId: peer.id, name: peer.name, url: peer.url, role: peer.role, by: 'peer' });
  }

  require(id: string): PeerRecord {
    const peer = this.opts.store.peer(id);
    if (!peer) throw new LifelineError('not-found', `no site ${id} is paired with this site`, { site: id });
    return peer;
  }

  private async tellUnpaired(peer: Pick<PeerRecord, 'url' | 'thumbprint' | 'name'>): Promise<boolean> {
    try {
      const reply = await siteRequest(peer.url, peer.thumbprint, this.opts.identity, { method: 'POST', path: '/unpair', ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}) });
      // 403: it had unpaired us already.
      if (reply.status === 204 || reply.status === 403) return true;
      this.opts.log.warn('the peer did not take the unpairing', { name: peer.name, status: reply.status });
      return false;
    } catch (err) {
      this.opts.log.warn('the peer could not be told of the unpairing; it will be refused from now on', { name: peer.name, error: describeError(err) });
      return false;
    }
  }
}

function parsePairRequest(raw: unknown): PairRequest {
  if (!isRecord(raw)) throw new ValidationError('the body must be { url, thumbprint, code, settings }', { field: '' });
  for (const k of Object.keys(raw)) if (!['url', 'thumbprint', 'code', 'settings'].includes(k)) throw new ValidationError(`${k}: unknown member (known: url, thumbprint, code, settings)`, { field: k });
  const url = parseSiteUrl(raw['url']);
  if (typeof raw['thumbprint'] !== 'string') throw new ValidationError('thumbprint must be the SHA-256 thumbprint the DR site shows with its pairing code', { field: 'thumbprint' });
  let thumbprint: string;
  try {
    thumbprint = requireThumbprint(raw['thumbprint'], 'thumbprint');
  } catch (err) {
    throw new ValidationError(describeError(err), { field: 'thumbprint' });
  }
  const code = typeof raw['code'] === 'string' ? normalisePairingCode(raw['code']) : null;
  if (code === null) throw new ValidationError('code must be the pairing code the DR site shows (26 letters and digits, dashes optional)', { field: 'code' });
  return { url, thumbprint, code, settings: parseReplicationSettings(raw['settings']) };
}

function parseOffer(raw: unknown): PairingOffer {
  if (!isRecord(raw)) throw new ValidationError('the body must be a pairing offer', { field: '' });
  const { codeId, proof, name, siteUrl } = raw;
  if (typeof codeId !== 'string' || !CODE_ID.test(codeId)) throw new ValidationError('codeId must be 64 hex digits', { field: 'codeId' });
  if (typeof proof !== 'string' || !PROOF.test(proof)) throw new ValidationError('proof must be 64 hex digits', { field: 'proof' });
  if (typeof name !== 'string' || !SITE_NAME.test(name)) throw new ValidationError('name must be a site name: 1 to 64 letters, digits, dots, colons, dashes or underscores', { field: 'name' });
  return { codeId, proof, name, siteUrl: parseSiteUrl(siteUrl, 'siteUrl'), settings: parseReplicationSettings(raw['settings']) };
}
