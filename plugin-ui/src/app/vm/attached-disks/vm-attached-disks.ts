import { ChangeDetectionStrategy, Component } from '@angular/core';

import { MessagePipe } from '../../i18n/message-pipe';
import { VmView } from '../vm-view';

/** Backup disks cloned and attached to this VM for item-level recovery, once the server has them. */
@Component({
  selector: 'll-vm-attached-disks',
  imports: [MessagePipe, VmView],
  template: `
    <ll-vm-view>
      <p>{{ 'vm.attachedDisks.none' | msg }}</p>
    </ll-vm-view>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmAttachedDisks {}
