import { ChangeDetectionStrategy, Component, model } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ClrRadioModule } from '@clr/angular/forms/radio';

import { MessagePipe } from '../../i18n/message-pipe';

/** How a new instance or an attach gets the disks: copied first (the default), or run from the backup at once. */
export type RecoverySpeed = 'copy' | 'instant';

/**
 * The Recover wizard's choice between copying the disks first and running them from the backup at
 * once (instant, from Lifeline's NFS datastore), offered alike for a new VM and for attached disks.
 * `[(speed)]` binds the choice.
 */
@Component({
  selector: 'll-recovery-speed',
  imports: [ClrRadioModule, FormsModule, MessagePipe],
  template: `
    <clr-radio-container class="ll-recover-speed">
      <label id="ll-speed-label">{{ 'recover.speed' | msg }}</label>
      <clr-radio-wrapper>
        <input type="radio" clrRadio id="ll-speed-copy" name="speed" value="copy" [ngModel]="speed()" (ngModelChange)="speed.set($event)" />
        <label for="ll-speed-copy">{{ 'recover.speed.copy' | msg }}</label>
      </clr-radio-wrapper>
      <clr-radio-wrapper>
        <input type="radio" clrRadio id="ll-speed-instant" name="speed" value="instant" [ngModel]="speed()" (ngModelChange)="speed.set($event)" />
        <label for="ll-speed-instant">{{ 'recover.speed.instant' | msg }}</label>
      </clr-radio-wrapper>
    </clr-radio-container>
  `,
  styles: `
    :host {
      display: block;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RecoverySpeedChoice {
  readonly speed = model<RecoverySpeed>('copy');
}
