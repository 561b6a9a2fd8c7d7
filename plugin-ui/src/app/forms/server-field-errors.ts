import type { AbstractControl } from '@angular/forms';

import type { ProblemFieldError } from '../api/lifeline-api-error';

/**
 * Puts each field error of a server's problem on the control `controlFor` finds for its field, as
 * `{ server: message }`, where the field shows it until the user changes the value; answers the
 * errors no control shows, for the problem alert to list.
 */
export function applyServerFieldErrors(errors: readonly ProblemFieldError[], controlFor: (field: string) => AbstractControl | null): ProblemFieldError[] {
  const unshown: ProblemFieldError[] = [];
  for (const error of errors) {
    const control = controlFor(error.field);
    if (control === null) {
      unshown.push(error);
      continue;
    }
    control.setErrors({ ...control.errors, server: error.message });
    control.markAsTouched();
  }
  return unshown;
}
