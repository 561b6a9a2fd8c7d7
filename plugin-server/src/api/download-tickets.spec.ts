import { ManualClock } from '../jobs/testing.js';
import { DownloadTickets, FIRST_USE_MS, RESUME_MS, TICKETS_PER_USER, ticketLabel, type DownloadGrant } from './download-tickets.js';

const grant = (user = 'restorer@vsphere.local', disk = 0): DownloadGrant => ({ pointId: '20261123-100000-1a2b3c4d', disk, format: 'raw', user, vcenterGuid: null });

describe('DownloadTickets', () => {
  let clock: ManualClock;
  let tickets: DownloadTickets;

  beforeEach(() => {
    clock = new ManualClock(1_800_000_000_000);
    tickets = new DownloadTickets(clock);
  });

  it('issues 256-bit base64url tickets, each redeemable for its own grant', () => {
    const a = tickets.issue(grant('a@x', 0));
    const b = tickets.issue(grant('b@x', 1));
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.ticket, 'base64url').length).toBe(32);
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.label).toBe(ticketLabel(a.ticket));
    expect(a.label).not.toContain(a.ticket.slice(0, 6));
    expect(a.expiresAt).toBe(clock.now() + FIRST_USE_MS);
    expect(tickets.redeem(a.ticket)?.grant).toEqual(grant('a@x', 0));
    expect(tickets.redeem(b.ticket)?.grant).toEqual(grant('b@x', 1));
  });

  it('must be first used within a minute, then serves for an hour from that use', async () => {
    const unused = tickets.issue(grant());
    const used = tickets.issue(grant());
    await clock.advance(FIRST_USE_MS - 1);
    expect(tickets.redeem(used.ticket)?.first).toBeTrue();
    await clock.advance(1);
    expect(tickets.redeem(unused.ticket)).toBeNull();
    await clock.advance(RESUME_MS - 2);
    expect(tickets.redeem(used.ticket)?.first).toBeFalse();
    await clock.advance(1);
    expect(tickets.redeem(used.ticket)).toBeNull();
    // Gone for good, not merely refused once.
    expect(tickets.size).toBe(0);
  });

  it('knows nothing of malformed or unknown tickets', () => {
    const t = tickets.issue(grant());
    expect(tickets.redeem(null)).toBeNull();
    expect(tickets.redeem('')).toBeNull();
    expect(tickets.redeem(`${t.ticket}A`)).toBeNull();
    expect(tickets.redeem(t.ticket.toUpperCase() === t.ticket ? t.ticket.toLowerCase() : t.ticket.toUpperCase())).toBeNull();
    expect(tickets.redeem('A'.repeat(43))).toBeNull();
  });

  it('bounds the tickets one user holds, and frees them as they expire', async () => {
    for (let i = 0; i < TICKETS_PER_USER; i++) tickets.issue(grant('Busy@X'));
    expect(() => tickets.issue(grant('busy@x'))).toThrowMatching((e: unknown) => (e as { code?: string }).code === 'queue-full');
    expect(() => tickets.issue(grant('other@x'))).not.toThrow();
    await clock.advance(FIRST_USE_MS);
    expect(() => tickets.issue(grant('busy@x'))).not.toThrow();
  });

  it('forgets every ticket when cleared', () => {
    const t = tickets.issue(grant());
    tickets.clear();
    expect(tickets.redeem(t.ticket)).toBeNull();
  });
});
