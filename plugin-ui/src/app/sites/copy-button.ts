import { ChangeDetectionStrategy, Component, DOCUMENT, inject, input, signal } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';

/**
 * Copies a value (a pairing code, a thumbprint) to the clipboard. The vSphere Client's frame may
 * not grant clipboard access; then the button says so, and the value stays on screen, selectable,
 * to copy by hand.
 */
@Component({
  selector: 'll-copy-button',
  imports: [MessagePipe],
  template: `
    <button type="button" class="btn btn-sm btn-link ll-copy" [attr.aria-label]="label()" (click)="copy()">{{ 'sites.copy' | msg }}</button>
    @switch (outcome()) {
      @case ('copied') {
        <span class="ll-hint ll-copy-done" role="status">{{ 'sites.copy.done' | msg }}</span>
      }
      @case ('failed') {
        <span class="ll-hint ll-copy-failed" role="status">{{ 'sites.copy.failed' | msg }}</span>
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CopyButton {
  readonly value = input.required<string>();
  /** What the button copies, for screen readers ("Copy the pairing code"). */
  readonly label = input<string | null>(null);
  protected readonly outcome = signal<'copied' | 'failed' | null>(null);
  private readonly clipboard = inject(DOCUMENT).defaultView?.navigator.clipboard;

  protected async copy(): Promise<void> {
    this.outcome.set(null);
    try {
      if (this.clipboard === undefined) {
        throw new Error('no clipboard');
      }
      await this.clipboard.writeText(this.value());
      this.outcome.set('copied');
    } catch {
      // Refused by the frame's permissions or the browser: the value is on screen to select.
      this.outcome.set('failed');
    }
  }
}
