import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { GlobalRefresh } from '../global-refresh';
import { FakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { configureViewTestBed, flushProblem, renderView } from '../testing/view-test-bed';
import { pageBody, vcenterListBody } from '../testing/server-bodies';
import { Policies } from './policies/policies';

describe('GlobalView with several vCenters', () => {
  let http: HttpTestingController;
  let sdk: FakeHtmlClientSdk;

  beforeEach(() => {
    sdk = new FakeHtmlClientSdk();
    // A global view has no context object.
    sdk.contextObjects = [];
    ({ http } = configureViewTestBed({ sdk }));
    // Two vCenters, each with its own Lifeline server, as the vSphere Client lists them.
    sdk.backendInfo = {
      allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/vc-b/', type: 'MANIFEST_SERVER' }, { proxiedBaseUrl: '/proxy/vc-a/', type: 'MANIFEST_SERVER' }],
      backendServersPerVc: {
        'vc-a': [{ proxiedBaseUrl: '/proxy/vc-a/', type: 'MANIFEST_SERVER' }],
        'vc-b': [{ proxiedBaseUrl: '/proxy/vc-b/', type: 'MANIFEST_SERVER' }],
      },
    };
  });

  afterEach(() => http.verify());

  /** What each vCenter's own server is asked for its name: that server, about that vCenter, with the user's session. */
  const nameRequest = (guid: string) => {
    const request = http.expectOne(`/proxy/${guid}/api/v1/vcenters`);
    expect(request.request.method).toBe('GET');
    expect(request.request.headers.get('lifeline-vc-guid')).toBe(guid);
    expect(request.request.headers.get('vmware-api-session-id')).toBe('fake-session-token');
    return request;
  };
  const optionTexts = (element: HTMLElement) => [...element.querySelectorAll<HTMLOptionElement>('#ll-global-vcenter option')].map((o) => [o.value, o.textContent?.trim()]);

  it('names the vCenter it shows and loads another vCenter from its own server when the user picks it', async () => {
    const view = await renderView(Policies);
    http.expectOne('/proxy/vc-b/api/v1/policies?limit=1000').flush(pageBody([]));
    nameRequest('vc-a').flush(vcenterListBody('vc-a', 'vc-a.example.com'));
    nameRequest('vc-b').flush(vcenterListBody('vc-b', 'vc-b.example.com'));
    await view.stable();
    const select = view.element.querySelector<HTMLSelectElement>('#ll-global-vcenter');
    expect([...(select?.options ?? [])].map((o) => o.value)).toEqual(['vc-a', 'vc-b']);
    expect(select?.value).toBe('vc-b');

    const refresh = TestBed.inject(GlobalRefresh);
    const before = refresh.generation();
    select!.value = 'vc-a';
    select!.dispatchEvent(new Event('change'));
    expect(refresh.generation() - before).toBe(1);
    // What the page made anew at the refresh loads.
    const again = await renderView(Policies);
    http.expectOne('/proxy/vc-a/api/v1/policies?limit=1000').flush(pageBody([]));
    nameRequest('vc-a').flush(vcenterListBody('vc-a', 'vc-a.example.com'));
    nameRequest('vc-b').flush(vcenterListBody('vc-b', 'vc-b.example.com'));
    await again.stable();
  });

  it('names each vCenter as its own server names it, in the order of the GUIDs', async () => {
    const view = await renderView(Policies);
    http.expectOne('/proxy/vc-b/api/v1/policies?limit=1000').flush(pageBody([]));
    // Until the servers answer, the GUIDs stand in.
    await view.stable();
    expect(optionTexts(view.element)).toEqual([
      ['vc-a', 'vc-a'],
      ['vc-b', 'vc-b'],
    ]);
    nameRequest('vc-b').flush(vcenterListBody('vc-b', 'vcsa-berlin.example.com'));
    nameRequest('vc-a').flush(vcenterListBody('vc-a', 'vcsa-amsterdam.example.com'));
    await view.stable();
    expect(optionTexts(view.element)).toEqual([
      ['vc-a', 'vcsa-amsterdam.example.com'],
      ['vc-b', 'vcsa-berlin.example.com'],
    ]);
    expect(view.element.querySelector<HTMLSelectElement>('#ll-global-vcenter')?.value).toBe('vc-b');
  });

  it('keeps the GUID of a vCenter whose server does not answer, with no error in the way of the page', async () => {
    const view = await renderView(Policies);
    http.expectOne('/proxy/vc-b/api/v1/policies?limit=1000').flush(pageBody([]));
    nameRequest('vc-a').error(new ProgressEvent('error'));
    flushProblem(nameRequest('vc-b'), { status: 502, title: 'Bad Gateway', detail: 'vCenter could not be reached.', code: 'vcenter-unreachable' });
    await view.stable();
    expect(optionTexts(view.element)).toEqual([
      ['vc-a', 'vc-a'],
      ['vc-b', 'vc-b'],
    ]);
    expect(view.all('.ll-problem')).toEqual([]);
    expect(view.element.querySelector('.ll-global-page')).not.toBeNull();
  });

  it('keeps the GUID when a server answers for another vCenter or with a body that is not a list of vCenters', async () => {
    const view = await renderView(Policies);
    http.expectOne('/proxy/vc-b/api/v1/policies?limit=1000').flush(pageBody([]));
    nameRequest('vc-a').flush(vcenterListBody('vc-other', 'elsewhere.example.com'));
    nameRequest('vc-b').flush({ items: [{ guid: 'vc-b' }] });
    await view.stable();
    expect(optionTexts(view.element)).toEqual([
      ['vc-a', 'vc-a'],
      ['vc-b', 'vc-b'],
    ]);
  });

  it('shows no choice when one server answers for every vCenter', async () => {
    sdk.backendInfo = {
      allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/one/', type: 'MANIFEST_SERVER' }],
      backendServersPerVc: { 'vc-a': [{ proxiedBaseUrl: '/proxy/one/', type: 'MANIFEST_SERVER' }], 'vc-b': [{ proxiedBaseUrl: '/proxy/one', type: 'MANIFEST_SERVER' }] },
    };
    const view = await renderView(Policies);
    http.expectOne('/proxy/one/api/v1/policies?limit=1000').flush(pageBody([]));
    await view.stable();
    expect(view.element.querySelector('#ll-global-vcenter')).toBeNull();
  });
});
