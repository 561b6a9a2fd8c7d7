import { DOCUMENT, Injectable, inject, signal } from '@angular/core';

import type { PluginTheme } from '../sdk/html-client-sdk-api';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

export type ClarityTheme = 'light' | 'dark';

/** Clarity selects its light or dark tokens by this attribute on the body. */
export const CLARITY_THEME_ATTRIBUTE = 'cds-theme';

/** vSphere Client theme names Lifeline does not know (a later client may add some) get light. */
export function clarityThemeFor(theme: PluginTheme): ClarityTheme {
  return theme.name === 'dark' ? 'dark' : 'light';
}

/**
 * Keeps Lifeline's views in the vSphere Client's theme: the theme in force when the view opens,
 * then every change the user makes while it is open, without a reload.
 */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly sdk = inject(HtmlClientSdkService);
  private readonly body = inject(DOCUMENT).body;
  private readonly current = signal<ClarityTheme>('light');
  private following = false;

  readonly theme = this.current.asReadonly();

  /** Call once the SDK is initialized; later calls change nothing. */
  follow(): void {
    if (this.following) {
      return;
    }
    this.following = true;
    this.apply(clarityThemeFor(this.sdk.theme()));
    this.sdk.onThemeChanged((theme) => this.apply(clarityThemeFor(theme)));
  }

  private apply(theme: ClarityTheme): void {
    this.current.set(theme);
    this.body.setAttribute(CLARITY_THEME_ATTRIBUTE, theme);
  }
}
