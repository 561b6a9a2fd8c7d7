import { Pipe, type PipeTransform, inject } from '@angular/core';

import { HtmlClientSdkService } from '../sdk/html-client-sdk';
import { formatBytes } from './byte-size';
import { Messages } from './messages';

/** `{{ point.logicalBytes | bytes }}` → "40 GiB", in the vSphere Client's locale. */
@Pipe({ name: 'bytes' })
export class ByteSizePipe implements PipeTransform {
  private readonly messages = inject(Messages);
  private readonly locale = inject(HtmlClientSdkService).locale();

  transform(bytes: number): string {
    return formatBytes(bytes, this.locale, (key, params) => this.messages.text(key, params));
  }
}
