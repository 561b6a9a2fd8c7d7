import { ChangeDetectionStrategy, Component, input, model } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrCheckboxModule } from '@clr/angular/forms/checkbox';

import type { PointDisk } from '../api/restore-point';
import { ByteSizePipe } from '../i18n/byte-size-pipe';
import { MessagePipe } from '../i18n/message-pipe';

/**
 * Which disks of a restore point to attach, a checkbox each (named by label and size), as the
 * Backups tab's Attach dialog and the Recover wizard's attach page offer them. `[(chosen)]` binds
 * the disks' indexes; `idPrefix` is each checkbox's class and, with `-<index>`, its id.
 */
@Component({
  selector: 'll-disk-choice',
  imports: [ByteSizePipe, ClrCheckboxModule, FormsModule, MessagePipe],
  template: `
    @for (disk of disks(); track disk.index) {
      <clr-checkbox-wrapper>
        <input
          type="checkbox"
          clrCheckbox
          [class]="idPrefix()"
          [id]="idPrefix() + '-' + disk.index"
          [name]="'disk' + disk.index"
          [ngModel]="chosen().has(disk.index)"
          (ngModelChange)="toggle(disk.index, $event)"
        />
        <label [for]="idPrefix() + '-' + disk.index">{{ 'backups.disk' | msg: { label: disk.label ?? disk.index, size: disk.capacityBytes | bytes } }}</label>
      </clr-checkbox-wrapper>
    }
  `,
  styles: `
    :host {
      display: block;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DiskChoice {
  readonly disks = input.required<readonly PointDisk[]>();
  readonly chosen = model.required<ReadonlySet<number>>();
  readonly idPrefix = input.required<string>();

  protected toggle(index: number, on: boolean): void {
    const chosen = new Set(this.chosen());
    if (on) {
      chosen.add(index);
    } else {
      chosen.delete(index);
    }
    this.chosen.set(chosen);
  }
}

/** The disks an attach asks for: null when every disk of the point is chosen. */
export function attachedDisks(disks: readonly PointDisk[], chosen: ReadonlySet<number>): readonly number[] | null {
  return chosen.size === disks.length ? null : [...chosen];
}
