import { FormControl, FormGroup, Validators, type AbstractControl, type ValidationErrors, type ValidatorFn } from '@angular/forms';

/**
 * The rules the forms hold counts to (retention counts, days, minutes, VMs at once): a count is a
 * whole number within its bounds, and a retention keeps at least one point.
 */

const wholeNumber: ValidatorFn = (control) => (control.value === null || Number.isInteger(control.value) ? null : { wholeNumber: true });

/** A required whole number from `min` to `max`. */
export function countControl(initial: number, min: number, max: number): FormControl<number | null> {
  return new FormControl<number | null>(initial, [Validators.required, Validators.min(min), Validators.max(max), wholeNumber]);
}

/** A group of retention counts is `{ keepsNothing }` when every count is 0. */
export const keepsSomething: ValidatorFn = (group: AbstractControl): ValidationErrors | null =>
  Object.values((group as FormGroup).controls).every((c) => c.value === 0) ? { keepsNothing: true } : null;
