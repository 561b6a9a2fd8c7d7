import { isRecord, isString } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/** How a restore point's disk is exported: its raw image, or a stream-optimized VMDK. */
export type ExportFormat = Schemas['DownloadTicketRequest']['format'];
export const EXPORT_FORMATS = ['raw', 'vmdk'] as const satisfies readonly ExportFormat[];

/**
 * `POST /api/v1/points/{id}/disks/{n}/download` with `{ format }`: a link to that one export that
 * the browser follows without the session header it cannot send with a download. The link must be
 * followed within a minute; once begun, it serves the same download for 15 minutes, to resume it, while its user's session lasts and holds Restore.
 */
export type DownloadTicket = Pick<Schemas['DownloadTicket'], 'url' | 'expiresAt'>;

/** Where a ticket for a disk is asked for. */
export function downloadTicketPath(pointId: string, disk: number): string {
  return `/api/v1/points/${encodeURIComponent(pointId)}/disks/${disk}/download`;
}

export function readDownloadTicket(body: unknown): DownloadTicket | null {
  if (!isRecord(body)) {
    return null;
  }
  const { url, expiresAt } = body;
  // Only a path on the Lifeline server itself: the browser is about to follow it.
  if (!isString(url) || !/^\/api\/v1\/downloads\/[A-Za-z0-9_-]+$/.test(url) || !isString(expiresAt)) {
    return null;
  }
  return { url, expiresAt };
}
