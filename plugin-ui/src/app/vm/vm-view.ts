import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { MessagePipe } from '../i18n/message-pipe';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/**
 * What every VM view starts with: the VM the vSphere Client opened it for. Its content shows only
 * when there is such a VM, so a view never renders data without knowing whose it is. The vSphere
 * Client already names the VM above the tab, so the view adds no heading of its own (and never
 * shows the VM's moref or the vCenter's GUID to the user).
 */
@Component({
  selector: 'll-vm-view',
  imports: [MessagePipe],
  template: `
    <section class="ll-view">
      @if (vm) {
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
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VmView {
  protected readonly vm = inject(HtmlClientSdkService).contextVm();
}
