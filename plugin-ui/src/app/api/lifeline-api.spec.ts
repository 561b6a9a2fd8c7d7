import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { FAKE_VC_GUID, FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { LifelineApi, SESSION_HEADER } from './lifeline-api';
import { BROWSER_ERROR_CODES, LifelineApiError } from './lifeline-api-error';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

/** The API client awaits the SDK's callbacks before it sends; let those run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('LifelineApi', () => {
  let fake: FakeHtmlClientSdk;
  let api: LifelineApi;
  let http: HttpTestingController;

  beforeEach(async () => {
    fake = new FakeHtmlClientSdk();
    fake.backendInfo = {
      allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/lifeline/', type: 'LIFELINE_SERVER' }],
      backendServersPerVc: { [FAKE_VC_GUID]: [{ proxiedBaseUrl: '/proxy/lifeline-vc1', type: 'LIFELINE_SERVER' }] },
    };
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), ...provideFakeHtmlClientSdk(fake)],
    });
    await TestBed.inject(HtmlClientSdkService).initialize();
    api = TestBed.inject(LifelineApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('calls the server of the context VM vCenter with the session token', async () => {
    const health = api.health();
    await settle();
    const request = http.expectOne('/proxy/lifeline-vc1/api/v1/health');
    expect(request.request.method).toBe('GET');
    expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    request.flush({ status: 'ok', version: '0.1.0' });
    expect(await health).toEqual({ status: 'ok', version: '0.1.0' });
  });

  it('sends the token the vSphere Client holds at the time of each call', async () => {
    fake.contextObjects = [];
    const first = api.health();
    await settle();
    const firstRequest = http.expectOne('/proxy/lifeline/api/v1/health');
    expect(firstRequest.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    firstRequest.flush({ status: 'ok', version: '0.1.0' });
    await first;

    fake.sessionToken = 'renewed-token';
    const second = api.health();
    await settle();
    const secondRequest = http.expectOne('/proxy/lifeline/api/v1/health');
    expect(secondRequest.request.headers.get(SESSION_HEADER)).toBe('renewed-token');
    secondRequest.flush({ status: 'ok', version: '0.1.0' });
    await second;
  });

  it('fails with a visible error, without calling the server, when the vSphere Client has no session (null callback)', async () => {
    fake.sessionToken = null;
    const error: unknown = await api.health().catch((e: unknown) => e);
    expect(error).toEqual(jasmine.any(LifelineApiError));
    expect(error).toEqual(jasmine.objectContaining({ code: BROWSER_ERROR_CODES.vsphereClient, title: 'The vSphere Client could not connect this view to Lifeline' }));
    expect((error as LifelineApiError).detail).toContain('session');
    http.expectNone(() => true);
  });

  it('fails with a visible error when the vSphere Client cannot say where the server is (null callback), and asks again on the next call', async () => {
    const known = fake.backendInfo;
    fake.backendInfo = null;
    await expectAsync(api.health()).toBeRejectedWith(jasmine.objectContaining({ code: BROWSER_ERROR_CODES.vsphereClient }));
    fake.backendInfo = known;
    const health = api.health();
    await settle();
    http.expectOne('/proxy/lifeline-vc1/api/v1/health').flush({ status: 'ok', version: '0.1.0' });
    await health;
  });

  it('sends no session header when there is no session (standalone)', async () => {
    fake.sessionToken = '';
    const health = api.health();
    await settle();
    const request = http.expectOne('/proxy/lifeline-vc1/api/v1/health');
    expect(request.request.headers.has(SESSION_HEADER)).toBeFalse();
    request.flush({ status: 'ok', version: '0.1.0' });
    await health;
  });

  it('turns a problem+json answer into a LifelineApiError with its title, detail and code', async () => {
    const health = api.health();
    await settle();
    http.expectOne('/proxy/lifeline-vc1/api/v1/health').flush(
      {
        type: 'https://lifeline.example/problems/session-expired',
        title: 'Your vSphere session has expired',
        detail: 'Log in to the vSphere Client again.',
        status: 401,
        code: 'SESSION_EXPIRED',
        instance: 'req-42',
      },
      { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/problem+json' } },
    );
    const error = await health.then(
      () => fail('expected the call to fail'),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(LifelineApiError);
    expect(error).toEqual(
      jasmine.objectContaining({
        status: 401,
        title: 'Your vSphere session has expired',
        detail: 'Log in to the vSphere Client again.',
        type: 'https://lifeline.example/problems/session-expired',
        code: 'SESSION_EXPIRED',
        instance: 'req-42',
      }),
    );
  });

  it('reports an error without a problem document by its HTTP status', async () => {
    const health = api.health();
    await settle();
    http
      .expectOne('/proxy/lifeline-vc1/api/v1/health')
      .flush('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } });
    await expectAsync(health).toBeRejectedWith(
      jasmine.objectContaining({
        status: 502,
        title: 'The Lifeline server answered with HTTP status 502',
        detail: undefined,
        code: 'HTTP_STATUS',
      }),
    );
  });

  it('reports an unreachable server as status 0', async () => {
    const health = api.health();
    await settle();
    http.expectOne('/proxy/lifeline-vc1/api/v1/health').error(new ProgressEvent('error'));
    await expectAsync(health).toBeRejectedWith(
      jasmine.objectContaining({ status: 0, code: 'UNREACHABLE', title: 'The Lifeline server cannot be reached' }),
    );
  });

  it('rejects an answer that is not what the endpoint promises', async () => {
    const health = api.health();
    await settle();
    http.expectOne('/proxy/lifeline-vc1/api/v1/health').flush({ healthy: true });
    await expectAsync(health).toBeRejectedWith(jasmine.objectContaining({ code: 'BAD_RESPONSE' }));
  });

  it('cancels the request when the caller aborts', async () => {
    const aborter = new AbortController();
    const health = api.health(aborter.signal);
    await settle();
    const request = http.expectOne('/proxy/lifeline-vc1/api/v1/health');
    aborter.abort();
    expect(request.cancelled).toBeTrue();
    await expectAsync(health).toBeRejected();
  });
});
