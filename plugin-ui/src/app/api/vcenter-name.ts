import type { components } from './lifeline-api.generated';

/**
 * `GET /api/v1/vcenters`: the vCenter of the user's session on a Lifeline server, with the name
 * the vSphere Client's inventory shows for it (the host name of the URL the server is configured
 * with).
 */
export type VcenterName = Pick<components['schemas']['Vcenter'], 'guid' | 'name'>;

/** Null when the body is not a list of vCenters, so the caller can report a bad answer. */
export function readVcenterNames(body: unknown): VcenterName[] | null {
  const items = typeof body === 'object' && body !== null ? (body as { items?: unknown }).items : undefined;
  if (!Array.isArray(items)) {
    return null;
  }
  const names: VcenterName[] = [];
  for (const item of items as unknown[]) {
    const { guid, name } = (typeof item === 'object' && item !== null ? item : {}) as Partial<Record<keyof VcenterName, unknown>>;
    if (typeof guid !== 'string' || typeof name !== 'string' || name.trim() === '') {
      return null;
    }
    names.push({ guid, name });
  }
  return names;
}
