import { Injectable, inject } from '@angular/core';

import { HtmlClientSdkService } from '../sdk/html-client-sdk';
import { MESSAGES_EN_US, type MessageKey, type MessageTable } from './messages-en-us';

/** Values for `{name}` placeholders; null (what Angular's pipes give for no value) fills in nothing. */
export type MessageParams = Readonly<Record<string, string | number | null>>;

/** Locales Lifeline has a table for; others fall back to US English. */
const TABLES: Readonly<Record<string, MessageTable>> = {
  'en-US': MESSAGES_EN_US,
};

export function messageTableFor(locale: string): MessageTable {
  return TABLES[locale] ?? MESSAGES_EN_US;
}

/** Fills `{name}` placeholders; a placeholder without a value stays visible so it gets noticed. */
export function formatMessage(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = params[name];
    return value === undefined ? placeholder : value === null ? '' : String(value);
  });
}

/** UI strings in the vSphere Client's locale. */
@Injectable({ providedIn: 'root' })
export class Messages {
  private readonly table = messageTableFor(inject(HtmlClientSdkService).locale());

  text(key: MessageKey, params?: MessageParams): string {
    return formatMessage(this.table[key], params);
  }
}
