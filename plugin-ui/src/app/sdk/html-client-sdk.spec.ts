import { TestBed } from '@angular/core/testing';

import { FAKE_VC_GUID, FakeHtmlClientSdk, provideFakeHtmlClientSdk } from './fake-html-client-sdk';
import { HtmlClientSdkError, HtmlClientSdkService, STANDALONE_HOST, VSPHERE_CLIENT_SDK, isHtmlClientSdk } from './html-client-sdk';
import type { StandaloneHost } from './standalone-sdk';

const STANDALONE_HOST_UNUSED: StandaloneHost = {
  search: '',
  language: 'en-US',
  openWindow: () => undefined,
  closeWindow: () => undefined,
  setTitle: () => undefined,
  warn: () => undefined,
};

describe('HtmlClientSdkService inside the vSphere Client', () => {
  let fake: FakeHtmlClientSdk;
  let service: HtmlClientSdkService;

  beforeEach(() => {
    fake = new FakeHtmlClientSdk();
    TestBed.configureTestingModule({
      // Lifeline must never fall back to the standalone stand-in when an htmlClientSdk exists.
      providers: [...provideFakeHtmlClientSdk(fake), { provide: STANDALONE_HOST, useValue: STANDALONE_HOST_UNUSED }],
    });
    service = TestBed.inject(HtmlClientSdkService);
  });

  it('takes an SDK of the documented pre-initialize shape (no app, event or modal yet) for the vSphere Client', async () => {
    fake.initializeAtOnce = false;
    expect(fake.app).toBeUndefined();
    expect(fake.event).toBeUndefined();
    expect(fake.modal).toBeUndefined();
    expect(service.standalone).toBeFalse();
    let ready = false;
    const initialized = service.initialize().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBeFalse();
    fake.completeInitialize();
    await initialized;
    expect(ready).toBeTrue();
    expect(service.contextVm()).toEqual({ type: 'VirtualMachine', moref: 'vm-58', vcGuid: FAKE_VC_GUID });
    expect(service.proxiedPluginServerOrigin()).toBe(fake.proxiedOrigin);
    expect(await service.sessionToken()).toBe('fake-session-token');
  });

  it('reads nothing of the SDK before initialize() has called back', () => {
    expect(() => service.contextVm()).toThrowMatching((e) => e instanceof HtmlClientSdkError && e.code === 'SDK_NOT_INITIALIZED');
  });

  describe('once initialized', () => {
    beforeEach(async () => {
      await service.initialize();
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

    it('rejects with a clear error when getSessionInfo calls back with null', async () => {
      fake.sessionToken = null;
      await expectAsync(service.sessionToken()).toBeRejectedWith(jasmine.objectContaining({ name: 'HtmlClientSdkError', code: 'NO_SESSION' }));
    });

    it('rejects with a clear error when getPluginBackendInfo calls back with null, and asks again next time', async () => {
      fake.backendInfo = null;
      await expectAsync(service.backendBaseUrl()).toBeRejectedWith(jasmine.objectContaining({ name: 'HtmlClientSdkError', code: 'NO_BACKEND_INFO' }));
      fake.backendInfo = { allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/back/', type: 'MANIFEST_SERVER' }] };
      expect(await service.backendBaseUrl()).toBe('/proxy/back');
      expect(fake.asked.backendInfo).toBe(2);
      // Once known it is remembered.
      expect(await service.backendBaseUrl()).toBe('/proxy/back');
      expect(fake.asked.backendInfo).toBe(2);
    });

    it('prefers the server registered for the VM vCenter and drops the trailing slash', async () => {
      fake.backendInfo = {
        allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/any', type: 'MANIFEST_SERVER' }],
        backendServersPerVc: { [FAKE_VC_GUID]: [{ proxiedBaseUrl: '/proxy/this-vc/', type: 'MANIFEST_SERVER' }] },
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

    it('passes the vSphere Client refresh button on', () => {
      let refreshed = 0;
      service.onGlobalRefresh(() => (refreshed += 1));
      fake.globalRefresh();
      expect(refreshed).toBe(1);
    });

    it('has no vSphere date format when the client offers no formatDateTime', () => {
      expect(service.dateTimeFormatter()).toBeNull();
    });
  });

  it('uses the vSphere date format when the client offers formatDateTime', async () => {
    fake.dateFormat = (instant) => `vsphere:${instant}`;
    await service.initialize();
    expect(service.dateTimeFormatter()?.(5)).toBe('vsphere:5');
  });

  it('rejects initialize when the SDK calls back without its interfaces', async () => {
    fake.initializeAtOnce = false;
    const initialized = service.initialize();
    // A broken client: calls back but adds nothing.
    (fake as unknown as { pendingInitialize: (() => void)[] }).pendingInitialize.splice(0).forEach((callback) => callback());
    await expectAsync(initialized).toBeRejectedWith(jasmine.objectContaining({ code: 'SDK_INCOMPLETE' }));
  });
});

describe('HtmlClientSdkService outside the vSphere Client', () => {
  it('stands in with the page URL only when no htmlClientSdk global exists', async () => {
    const host: StandaloneHost = { ...STANDALONE_HOST_UNUSED, search: '?objectId=urn:vmomi:VirtualMachine:vm-3:vc-9&theme=dark' };
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

  it('does not run standalone when the global exists but is not the SDK; initialize says what is wrong', async () => {
    TestBed.configureTestingModule({ providers: [{ provide: VSPHERE_CLIENT_SDK, useValue: { initialize: 'yes' } }] });
    const service = TestBed.inject(HtmlClientSdkService);
    expect(service.standalone).toBeFalse();
    await expectAsync(service.initialize()).toBeRejectedWith(jasmine.objectContaining({ code: 'SDK_UNUSABLE' }));
  });

  it('recognises the SDK by initialize alone', () => {
    expect(isHtmlClientSdk(undefined)).toBeFalse();
    expect(isHtmlClientSdk({ initialize: 'yes' })).toBeFalse();
    expect(isHtmlClientSdk({ initialize: () => undefined })).toBeTrue();
    expect(isHtmlClientSdk(new FakeHtmlClientSdk())).toBeTrue();
  });
});
