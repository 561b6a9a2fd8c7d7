import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { GlobalRefresh } from '../global-refresh';
import { FakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { configureViewTestBed, renderView } from '../testing/view-test-bed';
import { pageBody } from '../testing/server-bodies';
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

  it('names the vCenter it shows and loads another vCenter from its own server when the user picks it', async () => {
    const view = await renderView(Policies);
    http.expectOne('/proxy/vc-b/api/v1/policies?limit=1000').flush(pageBody([]));
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
    await again.stable();
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
