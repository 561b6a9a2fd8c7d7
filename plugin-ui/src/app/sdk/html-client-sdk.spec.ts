import { TestBed } from '@angular/core/testing';

import { FAKE_VC_GUID, FakeHtmlClientSdk, provideFakeHtmlClientSdk } from './fake-html-client-sdk';
import { HtmlClientSdkError, HtmlClientSdkService, STANDALONE_HOST, VSPHERE_CLIENT_SDK, isHtmlClientSdk } from './html-client-sdk';
import type { StandaloneHost } from './standalone-sdk';

describe('HtmlClientSdkService inside the vSphere Client', () => {
  let fake: FakeHtmlClientSdk;
  let service: HtmlClientSdkService;

  beforeEach(() => {
    fake = new FakeHtmlClientSdk();
    TestBed.configureTestingModule({ providers: provideFakeHtmlClientSdk(fake) });
    service = TestBed.inject(HtmlClientSdkService);
  });

  it('resolves initialize only once the vSphere Client calls back', async () => {
    fake.initializeAtOnce = false;
    let ready = false;
    const initialized = service.initialize().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBeFalse();
    fake.completeInitialize();
    await initialized;
    expect(ready).toBeTrue();
    expect(service.standalone).toBeFalse();
  });

  it('gives the context VM as moref and vCenter GUID', () => {
    expect(service.contextVm()).toEqual({ type: 'VirtualMachine', moref: 'vm-58', vcGuid: FAKE_VC_GUID });
    fake.contextObjects = [{ id: `urn:vmomi:Datastore:datastore-1:${FAKE_VC_GUID}` }];
    expect(service.contextVm()).toBeNull();
  });

  it('asks for the session token on every call, so a renewed token is used', async () => {
    expect(await service.sessionToken()).toBe('fake-session-token');
    fake.sessionToken = 'renewed';
    expect(await service.sessionToken()).toBe('renewed');
  });

  it('prefers the server registered for the VM vCenter and drops the trailing slash', async () => {
    fake.backendInfo = {
      allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/any', type: 'LIFELINE_SERVER' }],
      backendServersPerVc: { [FAKE_VC_GUID]: [{ proxiedBaseUrl: '/proxy/this-vc/', type: 'LIFELINE_SERVER' }] },
    };
    expect(await service.backendBaseUrl(FAKE_VC_GUID)).toBe('/proxy/this-vc');
    expect(await service.backendBaseUrl('another-vc')).toBe('/proxy/any');
    expect(await service.backendBaseUrl()).toBe('/proxy/any');
  });

  it('fails with a typed error when the vSphere Client knows no server', async () => {
    fake.backendInfo = { allPluginBackendServers: [] };
    await expectAsync(service.backendBaseUrl()).toBeRejectedWith(jasmine.any(HtmlClientSdkError));
  });

  it('passes modal and navigation requests to the vSphere Client', () => {
    service.openModal({ url: 'index.html#/vm/recover', size: { width: 800, height: 600 } });
    service.setModalOptions({ title: 'Recover' });
    service.closeModal({ recovered: true });
    service.navigateTo({ targetViewId: 'lifeline.dashboard' });
    expect(fake.modalsOpened.map((modal) => modal.url)).toEqual(['index.html#/vm/recover']);
    expect(fake.modalOptions).toEqual([{ title: 'Recover' }]);
    expect(fake.modalResults).toEqual([{ recovered: true }]);
    expect(fake.navigations.map((navigation) => navigation.targetViewId)).toEqual(['lifeline.dashboard']);
  });
});

describe('HtmlClientSdkService outside the vSphere Client', () => {
  it('stands in with the page URL when the SDK script did not load', async () => {
    const host: StandaloneHost = {
      search: '?objectId=urn:vmomi:VirtualMachine:vm-3:vc-9&theme=dark',
      language: 'en-US',
      openWindow: () => undefined,
      closeWindow: () => undefined,
      setTitle: () => undefined,
      warn: () => undefined,
    };
    TestBed.configureTestingModule({
      providers: [
        { provide: VSPHERE_CLIENT_SDK, useValue: null },
        { provide: STANDALONE_HOST, useValue: host },
      ],
    });
    const service = TestBed.inject(HtmlClientSdkService);
    await service.initialize();
    expect(service.standalone).toBeTrue();
    expect(service.contextVm()).toEqual({ type: 'VirtualMachine', moref: 'vm-3', vcGuid: 'vc-9' });
    expect(service.theme().name).toBe('dark');
    expect(await service.sessionToken()).toBe('');
    expect(await service.backendBaseUrl()).toBe('');
  });

  it('does not take just any global for the SDK', () => {
    expect(isHtmlClientSdk(undefined)).toBeFalse();
    expect(isHtmlClientSdk({ initialize: 'yes' })).toBeFalse();
    expect(isHtmlClientSdk({ initialize: () => undefined, app: {}, event: null, modal: {} })).toBeFalse();
    expect(isHtmlClientSdk(new FakeHtmlClientSdk())).toBeTrue();
  });
});
