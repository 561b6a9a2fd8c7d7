import { Injectable, signal } from '@angular/core';

/**
 * The vSphere Client's refresh button (`htmlClientSdk.event.onGlobalRefresh`). Each press counts
 * one generation; the root recreates the routed view for every new one, so each view loads its
 * data afresh exactly as when it was opened.
 */
@Injectable({ providedIn: 'root' })
export class GlobalRefresh {
  private readonly count = signal(0);

  readonly generation = this.count.asReadonly();

  refresh(): void {
    this.count.update((n) => n + 1);
  }
}
