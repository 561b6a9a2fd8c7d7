/**
 * Export links for third-party backup software: a webhook channel with `exportLinks` gets, in
 * each `point.created` event, one download URL per disk of the new point and per format (raw and
 * VMDK). Each URL carries a download ticket of the server's own (the same tickets a browser
 * downloads with): single-purpose (one point, one disk, one format), to be used within a minute
 * of the delivery, then resumable for a while. Tickets are made at each delivery attempt and never
 * written to the outbox, so the database and the delivery log hold no usable link, and a retried
 * delivery carries fresh ones. The download is audited in the name of the channel.
 */
import type { LifelineEvent } from './event.js';

export type ExportLinkFormat = 'raw' | 'vmdk';

/** What a ticket lets its bearer download (the server's download tickets, as far as links need them). */
export interface ExportLinkGrant {
  readonly pointId: string;
  readonly disk: number;
  readonly format: ExportLinkFormat;
  /** Who the download is audited as. */
  readonly user: string;
  readonly vcenterGuid: string | null;
}

export interface ExportLinkSources {
  /** Issues a ticket; the server's DownloadTickets. */
  issue(grant: ExportLinkGrant): { ticket: string; expiresAt: number };
  /** The disks of a committed point (their numbers and labels), or null when there is no such point. */
  disksOf(pointId: string): ReadonlyArray<{ disk: number; label: string; capacity: number }> | null;
  /** The server's HTTPS origin as receivers reach it, e.g. https://lifeline.example.com:8443. */
  baseUrl(): string;
}

/** One disk's links in a `point.created` event. */
export interface ExportLink {
  disk: number;
  label: string;
  capacityBytes: number;
  raw: string;
  vmdk: string;
  /** When a link not yet used stops working (ISO-8601). */
  expiresAt: string;
}

/** The path under the server's origin where tickets are redeemed. */
export const DOWNLOADS_PATH = '/api/v1/downloads/';

/**
 * The links of a `point.created` event for a channel, as `{ exportLinks: [...] }`; nothing for
 * any other event, or when the point is gone.
 */
export function exportLinksOf(event: LifelineEvent, audience: string, sources: ExportLinkSources): Record<string, unknown> {
  if (event.type !== 'point.created' || event.pointId === null) return {};
  const disks = sources.disksOf(event.pointId);
  if (disks === null) return { exportLinks: [] };
  const base = sources.baseUrl().replace(/\/+$/, '');
  const links: ExportLink[] = disks.map((d) => {
    const ticket = (format: ExportLinkFormat) =>
      sources.issue({ pointId: event.pointId as string, disk: d.disk, format, user: audience, vcenterGuid: event.vm?.vcenterGuid ?? null });
    const raw = ticket('raw');
    const vmdk = ticket('vmdk');
    return { disk: d.disk, label: d.label, capacityBytes: d.capacity, raw: `${base}${DOWNLOADS_PATH}${raw.ticket}`, vmdk: `${base}${DOWNLOADS_PATH}${vmdk.ticket}`, expiresAt: new Date(Math.min(raw.expiresAt, vmdk.expiresAt)).toISOString() };
  });
  return { exportLinks: links };
}
