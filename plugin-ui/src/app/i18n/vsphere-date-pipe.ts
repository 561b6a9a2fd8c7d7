import { formatDate } from '@angular/common';
import { LOCALE_ID, Pipe, type PipeTransform, inject } from '@angular/core';

import type { PluginDateTimeFormatOptions } from '../sdk/html-client-sdk-api';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/** The formats Lifeline's templates ask for, and what each is in the vSphere Client's terms. */
const VSPHERE_FORMAT: Readonly<Record<string, PluginDateTimeFormatOptions['format']>> = {
  medium: 'DATE_AND_TIME',
  mediumDate: 'DATE',
  'HH:mm:ss': 'TIME',
};

/**
 * `date`, as Lifeline's views write it (`at | date: 'medium'`), in the user's vSphere date and
 * time format: `htmlClientSdk.app.formatDateTime` where the vSphere Client offers it (7.0 U1+),
 * Angular's formatting in the client's locale otherwise (older clients, standalone pages).
 */
@Pipe({ name: 'date' })
export class VsphereDatePipe implements PipeTransform {
  private readonly vsphere = inject(HtmlClientSdkService).dateTimeFormatter();
  private readonly locale = inject(LOCALE_ID);

  transform(value: string | number | Date | null | undefined, format = 'mediumDate'): string | null {
    if (value === null || value === undefined || value === '') {
      return null;
    }
    const instant = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
    if (Number.isNaN(instant)) {
      return null;
    }
    const vsphereFormat = VSPHERE_FORMAT[format];
    if (this.vsphere !== null && vsphereFormat !== undefined) {
      return this.vsphere(instant, { format: vsphereFormat });
    }
    return formatDate(instant, format, this.locale);
  }
}
