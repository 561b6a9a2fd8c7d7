import { Injectable, signal } from '@angular/core';

/**
 * Why Lifeline could not start in this frame (the vSphere Client SDK could not be initialized),
 * or null. The root shows it in place of the views, in English: the SDK that would give the
 * user's locale is what failed.
 */
@Injectable({ providedIn: 'root' })
export class StartupFailure {
  private readonly message = signal<string | null>(null);

  readonly failure = this.message.asReadonly();

  set(error: unknown): void {
    this.message.set(error instanceof Error ? error.message : String(error));
  }
}
