import { Pipe, type PipeTransform, inject } from '@angular/core';

import type { MessageKey } from './messages-en-us';
import { Messages, type MessageParams } from './messages';

/** `{{ 'vm.notProtected' | msg }}`; keys are checked against the message table at compile time. */
@Pipe({ name: 'msg' })
export class MessagePipe implements PipeTransform {
  private readonly messages = inject(Messages);

  transform(key: MessageKey, params?: MessageParams): string {
    return this.messages.text(key, params);
  }
}
