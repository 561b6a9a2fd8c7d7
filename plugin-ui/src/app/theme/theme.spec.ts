import { DOCUMENT } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { CLARITY_THEME_ATTRIBUTE, ThemeService } from './theme';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

describe('ThemeService', () => {
  let fake: FakeHtmlClientSdk;
  let body: HTMLElement;

  beforeEach(async () => {
    fake = new FakeHtmlClientSdk();
    TestBed.configureTestingModule({ providers: provideFakeHtmlClientSdk(fake) });
    body = TestBed.inject(DOCUMENT).body;
    await TestBed.inject(HtmlClientSdkService).initialize();
    body.setAttribute(CLARITY_THEME_ATTRIBUTE, 'light');
  });

  afterEach(() => body.setAttribute(CLARITY_THEME_ATTRIBUTE, 'light'));

  it('starts in the theme of the vSphere Client', () => {
    fake.theme = { name: 'dark' };
    const theme = TestBed.inject(ThemeService);
    theme.follow();
    expect(body.getAttribute(CLARITY_THEME_ATTRIBUTE)).toBe('dark');
    expect(theme.theme()).toBe('dark');
  });

  it('follows theme changes while the view is open', () => {
    const theme = TestBed.inject(ThemeService);
    theme.follow();
    expect(body.getAttribute(CLARITY_THEME_ATTRIBUTE)).toBe('light');
    fake.changeTheme('dark');
    expect(body.getAttribute(CLARITY_THEME_ATTRIBUTE)).toBe('dark');
    expect(theme.theme()).toBe('dark');
    fake.changeTheme('light');
    expect(body.getAttribute(CLARITY_THEME_ATTRIBUTE)).toBe('light');
  });

  it('shows a theme it does not know as light', () => {
    fake.theme = { name: 'high-contrast' };
    TestBed.inject(ThemeService).follow();
    expect(body.getAttribute(CLARITY_THEME_ATTRIBUTE)).toBe('light');
  });

  it('actually switches Clarity to its dark colours', () => {
    const theme = TestBed.inject(ThemeService);
    theme.follow();
    const light = getComputedStyle(body).backgroundColor;
    fake.changeTheme('dark');
    const dark = getComputedStyle(body).backgroundColor;
    expect(dark).not.toBe(light);
  });
});
