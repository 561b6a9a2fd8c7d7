// Datastore paths as vSphere writes them: "[datastore] folder/file.vmdk".
import { ValidationError } from '../errors/index.js';

export interface DatastorePath {
  readonly datastore: string;
  /** The path inside the datastore, without a leading slash; "" for the datastore's root. */
  readonly path: string;
}

export function parseDatastorePath(datastorePath: string): DatastorePath {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(datastorePath.trim());
  if (!m?.[1]) throw new ValidationError(`not a datastore path ("[datastore] folder/file"): ${datastorePath}`, { datastorePath });
  return { datastore: m[1], path: (m[2] ?? '').replace(/^\/+/, '') };
}

export function formatDatastorePath(datastore: string, path: string): string {
  return path === '' ? `[${datastore}]` : `[${datastore}] ${path}`;
}
