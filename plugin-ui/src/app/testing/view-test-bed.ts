import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import type { EnvironmentProviders, Provider, Type } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideNoopAnimations } from '@angular/platform-browser/animations';
import { provideRouter } from '@angular/router';

import { FETCH } from '../api/event-stream';
import { FakeFetch } from '../api/fake-fetch';
import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/**
 * What a view's spec runs against: the vSphere Client stand-in, Angular's HTTP testing backend for
 * the REST calls and a fetch() of its own for event streams, so a spec sees every request a view
 * makes and answers it as the Lifeline server would. Only Angular's testing API is used here, so
 * the file type-checks with the app as well as with the specs.
 */

/** The reverse-proxy path the fake vSphere Client gives for the Lifeline server. */
export const API_BASE = '/proxy/lifeline';

export interface ViewTestBed {
  readonly sdk: FakeHtmlClientSdk;
  readonly http: HttpTestingController;
  readonly fetch: FakeFetch;
}

export function configureViewTestBed(options: { sdk?: FakeHtmlClientSdk; providers?: (Provider | EnvironmentProviders)[] } = {}): ViewTestBed {
  const sdk = options.sdk ?? new FakeHtmlClientSdk();
  sdk.backendInfo = { allPluginBackendServers: [{ proxiedBaseUrl: `${API_BASE}/`, type: 'LIFELINE_SERVER' }] };
  const fetch = new FakeFetch();
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      provideNoopAnimations(),
      { provide: FETCH, useValue: fetch.fetch },
      ...provideFakeHtmlClientSdk(sdk),
      ...(options.providers ?? []),
    ],
  });
  return { sdk, http: TestBed.inject(HttpTestingController), fetch };
}

/**
 * Lets promise chains and timers of zero delay run: a call awaits the SDK's callbacks before it
 * sends, and a view awaits the answer before it sets its signals.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

export interface RenderedView<T> {
  readonly fixture: ComponentFixture<T>;
  readonly element: HTMLElement;
  /** Waits for what the view does next, then for Angular to draw it. */
  stable(): Promise<void>;
  text(selector: string): string;
  all(selector: string): HTMLElement[];
  click(selector: string): Promise<void>;
}

/** What the app initializer does before any view exists: initialize the vSphere Client SDK. */
export async function initializeSdk(): Promise<void> {
  await TestBed.inject(HtmlClientSdkService).initialize();
}

export async function renderView<T>(component: Type<T>): Promise<RenderedView<T>> {
  await initializeSdk();
  const fixture = TestBed.createComponent(component);
  const element = fixture.nativeElement as HTMLElement;
  const view: RenderedView<T> = {
    fixture,
    element,
    async stable() {
      await settle();
      await fixture.whenStable();
      await settle();
      await fixture.whenStable();
    },
    text: (selector) => (element.querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim(),
    all: (selector) => [...element.querySelectorAll<HTMLElement>(selector)],
    async click(selector) {
      const target = view.all(selector)[0];
      if (target === undefined) {
        throw new Error(`nothing matches ${selector} in the view`);
      }
      target.click();
      await view.stable();
    },
  };
  await view.stable();
  return view;
}

/**
 * Answers a request as the server answers a failure: an RFC 9457 problem document, with any
 * extension members the server adds (e.g. `allowedAt`).
 */
export function flushProblem(
  request: TestRequest,
  problem: {
    status: number;
    title: string;
    detail: string;
    code: string;
    errors?: readonly { field: string; message: string }[];
    readonly [member: string]: unknown;
  },
): void {
  request.flush(
    { type: 'about:blank', instance: 'urn:uuid:0b7e', ...problem },
    { status: problem.status, statusText: problem.title, headers: { 'content-type': 'application/problem+json' } },
  );
}

/**
 * The accessible name of each radio group under `root`, in order: the text of the element its
 * `aria-labelledby` names, or null when it names none or one that is not in the document (a
 * screen reader then announces the group without a name).
 */
export function radioGroupNames(root: Element): Array<string | null> {
  return [...root.querySelectorAll('[role="radiogroup"]')].map((group) => {
    const id = group.getAttribute('aria-labelledby');
    return id ? (group.ownerDocument.getElementById(id)?.textContent?.trim() ?? null) : null;
  });
}
