import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';

import type { DayAdded } from '../../api/storage';
import { formatBytes } from '../../i18n/byte-size';
import { MessagePipe } from '../../i18n/message-pipe';
import { Messages } from '../../i18n/messages';
import { HtmlClientSdkService } from '../../sdk/html-client-sdk';

/** One day as the chart draws it and as the table beneath reads it out. */
interface DayBar {
  readonly day: string;
  /** Height against the day that added most, 0 to 100. */
  readonly percent: number;
  readonly points: number;
  readonly dayText: string;
  readonly bytesText: string;
  /** The day's figures in one sentence, for the bar's tooltip. */
  readonly summary: string;
}

/**
 * Bars of the data the restore points of each UTC day added to the store. The bars are drawn with
 * CSS in Clarity's status colour, so they follow the light and dark theme, and are hidden from
 * screen readers, which read the same figures from a visually hidden table instead. A day whose
 * points added nothing new (everything deduplicated) still shows a sliver, so backups that ran are
 * visible.
 */
@Component({
  selector: 'll-data-added-chart',
  imports: [MessagePipe],
  template: `
    <figure class="ll-added">
      <figcaption class="ll-added-caption">
        <span class="ll-added-title">{{ 'dashboard.storage.added' | msg }}</span>
        <span class="ll-hint ll-added-total">{{ 'dashboard.storage.added.total' | msg: { bytes: totalText(), days: bars().length } }}</span>
      </figcaption>
      <div class="ll-added-plot" aria-hidden="true">
        <span class="ll-hint ll-added-max">{{ maxText() }}</span>
        <div class="ll-added-bars">
          @for (bar of bars(); track bar.day) {
            <div class="ll-added-day" [attr.title]="bar.summary" [attr.data-day]="bar.day">
              <div class="ll-added-bar" [class.ll-added-bar-ran]="bar.points > 0" [style.height.%]="bar.percent"></div>
            </div>
          }
        </div>
        @if (bars().length > 0) {
          <div class="ll-hint ll-added-axis">
            <span>{{ bars()[0]?.dayText }}</span>
            <span>{{ bars()[bars().length - 1]?.dayText }}</span>
          </div>
        }
      </div>
      <table class="clr-sr-only ll-added-table">
        <caption>{{ 'dashboard.storage.added' | msg }}</caption>
        <thead>
          <tr>
            <th scope="col">{{ 'dashboard.storage.added.day' | msg }}</th>
            <th scope="col">{{ 'dashboard.storage.added.bytes' | msg }}</th>
            <th scope="col">{{ 'dashboard.storage.added.points' | msg }}</th>
          </tr>
        </thead>
        <tbody>
          @for (bar of bars(); track bar.day) {
            <tr>
              <th scope="row">{{ bar.dayText }}</th>
              <td>{{ bar.bytesText }}</td>
              <td>{{ bar.points }}</td>
            </tr>
          }
        </tbody>
      </table>
    </figure>
  `,
  styles: `
    .ll-added {
      position: relative;
      margin: 0;
    }

    .ll-added-caption {
      display: flex;
      flex-wrap: wrap;
      justify-content: space-between;
      gap: 0.3rem;
      margin-bottom: 0.3rem;
    }

    .ll-added-title {
      font-weight: 600;
    }

    .ll-added-bars {
      display: flex;
      align-items: stretch;
      gap: 2px;
      height: 6rem;
      border-bottom: 1px solid var(--cds-alias-object-border-color, currentColor);
    }

    .ll-added-day {
      flex: 1 1 0;
      display: flex;
      align-items: flex-end;
      min-width: 0;
    }

    .ll-added-bar {
      width: 100%;
      background: var(--cds-alias-status-info, currentColor);
      border-radius: 1px 1px 0 0;
    }

    .ll-added-bar-ran {
      min-height: 2px;
    }

    .ll-added-max {
      display: block;
      font-size: 0.55rem;
    }

    .ll-added-axis {
      display: flex;
      justify-content: space-between;
      font-size: 0.55rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DataAddedChart {
  /** The days to draw, oldest first. */
  readonly days = input.required<readonly DayAdded[]>();

  private readonly messages = inject(Messages);
  private readonly locale = inject(HtmlClientSdkService).locale();
  // The server counts days in UTC; a local calendar would put each bar under a neighbour's date.
  private readonly dayFormat = new Intl.DateTimeFormat(this.locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });

  private readonly max = computed(() => Math.max(0, ...this.days().map((d) => d.newBytes)));
  protected readonly maxText = computed(() => this.bytes(this.max()));
  protected readonly totalText = computed(() => this.bytes(this.days().reduce((sum, d) => sum + d.newBytes, 0)));
  protected readonly bars = computed<readonly DayBar[]>(() => {
    const max = this.max();
    return this.days().map((d) => {
      const dayText = this.dayFormat.format(new Date(`${d.day}T00:00:00Z`));
      const bytesText = this.bytes(d.newBytes);
      return {
        day: d.day,
        percent: max > 0 ? (d.newBytes / max) * 100 : 0,
        points: d.points,
        dayText,
        bytesText,
        summary: this.messages.text('dashboard.storage.added.summary', { day: dayText, bytes: bytesText, points: d.points }),
      };
    });
  });

  private bytes(n: number): string {
    return formatBytes(n, this.locale, (key, params) => this.messages.text(key, params));
  }
}
