import { ChangeDetectionStrategy, Component } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';

import { MessagePipe } from '../../i18n/message-pipe';
import { VmView } from '../vm-view';

/** The VM's Configure > Lifeline tab: its protection policy, once the server has policies. */
@Component({
  selector: 'll-vm-protection',
  imports: [ClrAlertModule, MessagePipe, VmView],
  template: `
    <ll-vm-view>
      <clr-alert clrAlertType="info" [clrAlertClosable]="false">
        <clr-alert-item>
          <span class="alert-text">{{ 'vm.notProtected' | msg }}</span>
        </clr-alert-item>
      </clr-alert>
    </ll-vm-view>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmProtection {}
