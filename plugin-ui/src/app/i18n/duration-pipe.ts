import { Pipe, type PipeTransform, inject } from '@angular/core';

import { formatDuration } from './duration';
import { Messages } from './messages';

/** `{{ policy.rpoSeconds | duration }}` → "15 min", in the vSphere Client's locale. */
@Pipe({ name: 'duration' })
export class DurationPipe implements PipeTransform {
  private readonly messages = inject(Messages);

  transform(seconds: number): string {
    return formatDuration(seconds, (key, params) => this.messages.text(key, params));
  }
}
