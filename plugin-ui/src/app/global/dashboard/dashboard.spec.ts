import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';

import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../../sdk/fake-html-client-sdk';
import { Dashboard } from './dashboard';

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('Dashboard', () => {
  let fake: FakeHtmlClientSdk;
  let http: HttpTestingController;
  let fixture: ComponentFixture<Dashboard>;
  let element: HTMLElement;

  beforeEach(async () => {
    fake = new FakeHtmlClientSdk();
    fake.contextObjects = [];
    fake.backendInfo = { allPluginBackendServers: [{ proxiedBaseUrl: '/proxy/lifeline', type: 'LIFELINE_SERVER' }] };
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), ...provideFakeHtmlClientSdk(fake)],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Dashboard);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    await settle();
  });

  afterEach(() => http.verify());

  it('shows the server status and version from the health endpoint', async () => {
    expect(element.querySelector('.ll-server-loading')).not.toBeNull();
    http.expectOne('/proxy/lifeline/api/v1/health').flush({ status: 'ok', version: '0.1.0' });
    await settle();
    await fixture.whenStable();
    expect(element.querySelector('.ll-server-loading')).toBeNull();
    expect(element.querySelector('.ll-server-facts .label-success')?.textContent?.trim()).toBe('ok');
    expect(element.querySelector('.ll-server-version')?.textContent?.trim()).toBe('0.1.0');
  });

  it('shows the problem the server reports', async () => {
    http.expectOne('/proxy/lifeline/api/v1/health').flush(
      { title: 'Lifeline is starting', detail: 'The catalog is being opened.', status: 503 },
      { status: 503, statusText: 'Service Unavailable', headers: { 'content-type': 'application/problem+json' } },
    );
    await settle();
    await fixture.whenStable();
    const text = element.querySelector('.ll-server-error')?.textContent ?? '';
    expect(text).toContain('Lifeline is starting');
    expect(text).toContain('The catalog is being opened.');
    expect(element.querySelector('.ll-server-facts')).toBeNull();
  });

  it('cancels its request when it is destroyed', () => {
    const request = http.expectOne('/proxy/lifeline/api/v1/health');
    fixture.destroy();
    expect(request.cancelled).toBeTrue();
  });
});
