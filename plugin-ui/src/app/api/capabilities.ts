import { Injectable, computed, inject, signal, type Signal } from '@angular/core';

import { isRecord } from './json-reader';
import { LifelineApi } from './lifeline-api';
import { LifelineApiError } from './lifeline-api-error';
import { vmPath } from './vm-protection';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

/**
 * `GET /api/v1/vms/{id}/capabilities`: what the user may do on the VM, by Lifeline privilege
 * (Protect, Restore, Admin), as vCenter's permissions grant it. The server checks the privilege of
 * every call anyway; this only spares the user buttons that would be refused.
 */
export type VmCapabilities = Schemas['VmCapabilities'];

export function readVmCapabilities(body: unknown): VmCapabilities | null {
  if (!isRecord(body)) {
    return null;
  }
  const { protect, restore, admin } = body;
  if (typeof protect !== 'boolean' || typeof restore !== 'boolean' || typeof admin !== 'boolean') {
    return null;
  }
  return { protect, restore, admin };
}

/**
 * A view's capabilities on its VM, asked once when the view opens. Until the answer arrives, and
 * when it cannot be had, nothing is allowed: an action appears only once the server said the user
 * may run it.
 */
export interface ViewCapabilities {
  /** The answer; null while unknown. */
  readonly value: Signal<VmCapabilities | null>;
  readonly protect: Signal<boolean>;
  readonly restore: Signal<boolean>;
  readonly admin: Signal<boolean>;
  /** Why the capabilities are unknown, when asking failed. */
  readonly error: Signal<LifelineApiError | null>;
}

@Injectable({ providedIn: 'root' })
export class CapabilitiesApi {
  private readonly api = inject(LifelineApi);

  of(vmId: string, signal?: AbortSignal): Promise<VmCapabilities> {
    return this.api.get(`${vmPath(vmId)}/capabilities`, readVmCapabilities, signal);
  }

  /** Asks for the VM's capabilities now; a null VM (no context object) allows nothing. */
  forView(vmId: string | null, abort: AbortSignal): ViewCapabilities {
    const value = signal<VmCapabilities | null>(null);
    const error = signal<LifelineApiError | null>(null);
    if (vmId !== null) {
      this.of(vmId, abort).then(
        (answer) => value.set(answer),
        (failure: unknown) => {
          if (abort.aborted) {
            return;
          }
          if (!(failure instanceof LifelineApiError)) {
            throw failure;
          }
          error.set(failure);
        },
      );
    }
    return {
      value: value.asReadonly(),
      protect: computed(() => value()?.protect === true),
      restore: computed(() => value()?.restore === true),
      admin: computed(() => value()?.admin === true),
      error: error.asReadonly(),
    };
  }
}
