/**
 * Download tickets: how a browser downloads a restore point's disk. A browser navigation (a link
 * with `download`) cannot send the `vmware-api-session-id` header that every API call carries, and
 * reading the disk through `fetch()` would hold it in the page's memory. So a user who may export
 * the disk first asks, with the session header, for a ticket; the ticket then names that one
 * export in a URL the browser can follow without the header.
 *
 * The contract:
 * - A ticket is 256 random bits (base64url, 43 characters) bound to one point, one disk, one
 *   format and the vCenter user who asked for it; the download is attributed to that user.
 * - It must be used within {@link FIRST_USE_MS} of being issued. From its first use it serves that
 *   same download again, whole or in byte ranges, for {@link RESUME_MS}, so a browser or a download
 *   manager can resume a cut download. (Serving only ranges after the first use would protect
 *   nothing: a range can span the whole disk.)
 * - It is bound to the session of the user who asked for it: every use checks again, with that
 *   session, that the user still holds the Restore privilege ({@link DownloadGrant.recheck}); once
 *   the session has ended (logged out, expired) or the privilege is gone, the link serves nothing.
 * - Tickets live in memory only, keyed by their SHA-256, so the process does not even hold them in
 *   clear; they are all dropped when the server stops. An unknown ticket and an expired one are
 *   answered alike.
 * - A ticket never appears in a log: {@link hideDownloadTickets} takes it out of the request URL
 *   before any middleware (the access log, the error handler) reads it, leaving its label: a short
 *   prefix of its hash, enough to follow one download through the log and the audit records.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { LifelineError } from '../errors/index.js';
import type { Clock } from '../domain/index.js';

export type ExportFormat = 'raw' | 'vmdk';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['raw', 'vmdk'];

/** How long a new ticket waits for its first use. */
export const FIRST_USE_MS = 60_000;
/** How long after its first use a ticket still serves its download (resumption, ranges). */
export const RESUME_MS = 15 * 60_000;
/** Tickets one user may hold at once; each is small, but memory is not for anyone to fill. */
export const TICKETS_PER_USER = 100;
/** Tickets the server holds at once, all users together. */
export const TICKETS_IN_ALL = 10_000;

const TICKET_BYTES = 32;
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LABEL_LENGTH = 12;

/** What a ticket lets its bearer download, and on whose behalf. */
export interface DownloadGrant {
  readonly pointId: string;
  readonly disk: number;
  readonly format: ExportFormat;
  /** The vCenter user who asked for the ticket. */
  readonly user: string;
  /** The vCenter the user's session was on. */
  readonly vcenterGuid: string | null;
  /**
   * Checks, with the session of the user who asked for the ticket, that they may still download
   * it; rejects otherwise. A closure, so that what it holds (the session's token) can never be
   * logged with the grant.
   */
  readonly recheck?: (signal: AbortSignal) => Promise<void>;
}

export interface IssuedTicket {
  /** The secret: goes to the user once, in the ticket's URL, and nowhere else. */
  readonly ticket: string;
  /** What logs and audit records name the ticket by. */
  readonly label: string;
  /** Epoch milliseconds by which the first download must begin. */
  readonly expiresAt: number;
}

export interface RedeemedTicket {
  readonly grant: DownloadGrant;
  readonly label: string;
  /** Whether this is the ticket's first use. */
  readonly first: boolean;
}

interface Entry {
  readonly grant: DownloadGrant;
  readonly label: string;
  expiresAt: number;
  used: boolean;
}

/** The label of a ticket: a prefix of its SHA-256, which tells nothing of the ticket. */
export function ticketLabel(ticket: string): string {
  return digestOf(ticket).slice(0, LABEL_LENGTH);
}

function digestOf(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

/** Issues and redeems tickets; time comes from the clock given (kopia's habit: tests move it). */
export class DownloadTickets {
  private readonly byDigest = new Map<string, Entry>();

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** Tickets held, expired ones not yet dropped included. */
  get size(): number {
    return this.byDigest.size;
  }

  issue(grant: DownloadGrant): IssuedTicket {
    this.dropExpired();
    const mine = [...this.byDigest.values()].filter((e) => e.grant.user.toLowerCase() === grant.user.toLowerCase()).length;
    if (mine >= TICKETS_PER_USER) {
      throw new LifelineError('queue-full', `${grant.user} holds ${mine} download links already, the most Lifeline keeps for one user; they expire unused after ${FIRST_USE_MS / 1000} seconds, or an hour after a download began.`, { limit: TICKETS_PER_USER });
    }
    if (this.byDigest.size >= TICKETS_IN_ALL) {
      throw new LifelineError('queue-full', `Lifeline holds ${this.byDigest.size} download links, the most it keeps at once; try again in a minute.`, { limit: TICKETS_IN_ALL });
    }
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    const digest = digestOf(ticket);
    const entry: Entry = { grant, label: digest.slice(0, LABEL_LENGTH), expiresAt: this.clock.now() + FIRST_USE_MS, used: false };
    this.byDigest.set(digest, entry);
    return { ticket, label: entry.label, expiresAt: entry.expiresAt };
  }

  /**
   * The grant of a valid ticket, or null for anything else (unknown, expired, malformed). The first
   * use starts the ticket's resumption window.
   */
  redeem(ticket: string | null): RedeemedTicket | null {
    if (ticket === null || !TICKET_SHAPE.test(ticket)) return null;
    const digest = digestOf(ticket);
    const entry = this.byDigest.get(digest);
    if (!entry) return null;
    const now = this.clock.now();
    if (now >= entry.expiresAt) {
      this.byDigest.delete(digest);
      return null;
    }
    const first = !entry.used;
    if (first) {
      entry.used = true;
      entry.expiresAt = now + RESUME_MS;
    }
    return { grant: entry.grant, label: entry.label, first };
  }

  /** Forgets every ticket (the server is stopping). */
  clear(): void {
    this.byDigest.clear();
  }

  private dropExpired(): void {
    const now = this.clock.now();
    for (const [digest, entry] of this.byDigest) {
      if (now >= entry.expiresAt) this.byDigest.delete(digest);
    }
  }
}

const ticketOfRequest = new WeakMap<Request, string>();

/**
 * Middleware that goes before everything that may log a request's URL: for a URL under
 * `prefix` (e.g. `/api/v1/downloads/`) it keeps the path segment after it (the ticket) aside and
 * puts `~<label>` in its place in `req.url` and `req.originalUrl`. The download route reads the
 * ticket back with {@link ticketOf}.
 */
export function hideDownloadTickets(prefix: string): RequestHandler {
  const lower = prefix.toLowerCase();
  return (req, _res, next) => {
    // Case-blind, as Express routes: the ticket must not reach a log by another spelling of the path.
    if (req.url.slice(0, prefix.length).toLowerCase() !== lower) {
      next();
      return;
    }
    const rest = req.url.slice(prefix.length);
    const end = rest.search(/[/?#]/);
    const segment = end < 0 ? rest : rest.slice(0, end);
    const hidden = `${prefix}~${ticketLabel(segment)}${end < 0 ? '' : rest.slice(end)}`;
    ticketOfRequest.set(req, segment);
    req.url = hidden;
    req.originalUrl = hidden;
    next();
  };
}

/** The ticket {@link hideDownloadTickets} took out of the request's URL, if it took one. */
export function ticketOf(req: Request): string | null {
  return ticketOfRequest.get(req) ?? null;
}
