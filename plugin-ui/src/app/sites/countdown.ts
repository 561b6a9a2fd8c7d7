import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, input, output, signal } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';
import { CLOCK } from './clock';

/** "14:59" for the seconds left; "1:02:03" past an hour. */
export function formatRemaining(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Counts down to `until` once a second, and says when the time is up. */
@Component({
  selector: 'll-countdown',
  imports: [MessagePipe],
  template: `
    @if (left() > 0) {
      <span class="ll-countdown" [attr.data-seconds]="left()">{{ 'sites.code.expiresIn' | msg: { left: text() } }}</span>
    } @else {
      <span class="ll-countdown ll-countdown-over" data-seconds="0">{{ 'sites.code.expired' | msg }}</span>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Countdown {
  /** An ISO time. */
  readonly until = input.required<string>();
  readonly expired = output();
  private readonly clock = inject(CLOCK);
  private readonly now = signal(this.clock.now());
  protected readonly left = computed(() => Math.max(0, Math.ceil((Date.parse(this.until()) - this.now()) / 1000)));
  protected readonly text = computed(() => formatRemaining(this.left()));

  constructor() {
    const stop = this.clock.everySecond(() => this.now.set(this.clock.now()));
    inject(DestroyRef).onDestroy(stop);
    let told = false;
    effect(() => {
      if (this.left() === 0 && !told) {
        told = true;
        stop();
        this.expired.emit();
      }
    });
  }
}
