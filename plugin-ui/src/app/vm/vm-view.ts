import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/**
 * What every VM view starts with: the VM the vSphere Client opened it for. Its content shows only
 * when there is such a VM, so a view never renders data without knowing whose it is.
 */
@Component({
  selector: 'll-vm-view',
  imports: [MessagePipe],
  template: `
    <section class="ll-view">
      @if (vm; as vm) {
        <p class="ll-vm-identity">{{ 'vm.context.identity' | msg: { moref: vm.moref, vcGuid: vm.vcGuid } }}</p>
        <ng-content />
      } @else {
        <p class="ll-vm-missing">{{ 'vm.context.none' | msg }}</p>
      }
    </section>
  `,
  styles: `
    .ll-vm-missing {
      margin-top: 0;
    }

    .ll-vm-identity {
      margin-top: 0;
      color: var(--cds-alias-object-interaction-color-secondary, inherit);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmView {
  protected readonly vm = inject(HtmlClientSdkService).contextVm();
}
