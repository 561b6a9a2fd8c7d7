import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';

import { routes } from './app.routes';
import { Dashboard } from './global/dashboard/dashboard';
import { NotFound } from './not-found/not-found';
import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from './sdk/fake-html-client-sdk';
import { VmAttachedDisks } from './vm/attached-disks/vm-attached-disks';
import { VmBackups } from './vm/backups/vm-backups';
import { VmProtection } from './vm/protection/vm-protection';

describe('routes', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes),
        provideHttpClient(),
        provideHttpClientTesting(),
        ...provideFakeHtmlClientSdk(new FakeHtmlClientSdk()),
      ],
    });
  });

  it('loads each view that plugin.json names', async () => {
    const harness = await RouterTestingHarness.create();
    expect(await harness.navigateByUrl('/vm/protection', VmProtection)).toBeInstanceOf(VmProtection);
    expect(await harness.navigateByUrl('/vm/backups', VmBackups)).toBeInstanceOf(VmBackups);
    expect(harness.routeNativeElement?.textContent).toContain('There are no restore points for this VM.');
    expect(await harness.navigateByUrl('/vm/attached-disks', VmAttachedDisks)).toBeInstanceOf(VmAttachedDisks);
    expect(harness.routeNativeElement?.textContent).toContain('No backup disks are attached to this VM.');
    expect(await harness.navigateByUrl('/global/dashboard', Dashboard)).toBeInstanceOf(Dashboard);
  });

  it('opens the dashboard when no view is named', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/', Dashboard);
    expect(TestBed.inject(Router).url).toBe('/global/dashboard');
  });

  it('says so when a view does not exist in this version', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/vm/replication', NotFound);
    expect(harness.routeNativeElement?.textContent).toContain('This Lifeline view does not exist.');
  });
});
