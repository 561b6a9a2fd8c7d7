import type { HttpTestingController } from '@angular/common/http/testing';

import type { VmCapabilities } from './capabilities';

/**
 * For view specs: answers the capabilities question a VM view asks when it opens, as the server
 * would for a user with the given privileges.
 */
export const EVERY_CAPABILITY: VmCapabilities = { protect: true, restore: true, admin: true };
export const NO_CAPABILITY: VmCapabilities = { protect: false, restore: false, admin: false };

export function capabilitiesUrl(apiBase: string, vmId: string): string {
  return `${apiBase}/api/v1/vms/${encodeURIComponent(vmId)}/capabilities`;
}

export function flushCapabilities(http: HttpTestingController, apiBase: string, vmId: string, capabilities: Partial<VmCapabilities> = {}): void {
  http.expectOne({ method: 'GET', url: capabilitiesUrl(apiBase, vmId) }).flush({ ...EVERY_CAPABILITY, ...capabilities });
}
