import { ChangeDetectionStrategy, Component } from '@angular/core';

import { MessagePipe } from '../../i18n/message-pipe';
import { VmView } from '../vm-view';

/** The VM's Monitor > Lifeline backups tab: its restore points, once the server lists them. */
@Component({
  selector: 'll-vm-backups',
  imports: [MessagePipe, VmView],
  template: `
    <ll-vm-view>
      <p>{{ 'vm.backups.none' | msg }} {{ 'vm.notProtected' | msg }}</p>
    </ll-vm-view>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmBackups {}
