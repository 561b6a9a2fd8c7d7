import type { Type } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';

import { routes } from './app.routes';
import { RecoveryPlans } from './dr/recovery-plans';
import { ReplicatedVmsPage } from './dr/replicated-vms-page';
import { Audit } from './global/audit/audit';
import { Dashboard } from './global/dashboard/dashboard';
import { requestGlobalPage } from './global/global-page-request';
import { Jobs } from './global/jobs/jobs';
import { Policies } from './global/policies/policies';
import { ProtectedVms } from './global/protected-vms/protected-vms';
import { Settings } from './global/settings/settings';
import { InstantRecoveries } from './instant/instant-recoveries';
import { NotFound } from './not-found/not-found';
import { Notifications } from './notifications/notifications';
import { Sites } from './sites/sites';
import { configureViewTestBed } from './testing/view-test-bed';
import { VmAttachedDisks } from './vm/attached-disks/vm-attached-disks';
import { BackupNow } from './vm/backup-now/backup-now';
import { VmBackups } from './vm/backups/vm-backups';
import { VmProtection } from './vm/protection/vm-protection';
import { RecoverWizard } from './vm/recover/recover-wizard';
import { HtmlClientSdkService } from './sdk/html-client-sdk';

describe('routes', () => {
  beforeEach(async () => {
    configureViewTestBed({ providers: [provideRouter(routes)] });
    await TestBed.inject(HtmlClientSdkService).initialize();
  });

  it('loads the view of each route', async () => {
    const views: [string, Type<unknown>][] = [
      ['/vm/protection', VmProtection],
      ['/vm/backup-now', BackupNow],
      ['/vm/backups', VmBackups],
      ['/vm/recover', RecoverWizard],
      ['/vm/clone-attach', RecoverWizard],
      ['/vm/attached-disks', VmAttachedDisks],
      ['/global/dashboard', Dashboard],
      ['/global/protected-vms', ProtectedVms],
      ['/global/policies', Policies],
      ['/global/jobs', Jobs],
      ['/global/audit', Audit],
      ['/global/settings', Settings],
      ['/global/settings/notifications', Notifications],
      ['/global/sites', Sites],
      ['/global/replicated-vms', ReplicatedVmsPage],
      ['/global/recovery-plans', RecoveryPlans],
      ['/global/instant-recoveries', InstantRecoveries],
    ];
    const harness = await RouterTestingHarness.create();
    for (const [url, view] of views) {
      expect(await harness.navigateByUrl(url, view)).withContext(url).toBeInstanceOf(view);
    }
  });

  it('opens the dashboard when no view is named', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/', Dashboard);
    expect(TestBed.inject(Router).url).toBe('/global/dashboard');
  });

  it('opens the global page another view asked for (the Recover wizard’s link), once', async () => {
    requestGlobalPage('/global/instant-recoveries');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/global/dashboard');
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/global/instant-recoveries');
    expect(harness.routeDebugElement?.componentInstance).toBeInstanceOf(InstantRecoveries);
    await harness.navigateByUrl('/global/dashboard', Dashboard);
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/global/dashboard');
  });

  it('says so when a view does not exist in this version', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/vm/replication', NotFound);
    expect(harness.routeNativeElement?.textContent).toContain('This Lifeline view does not exist.');
  });
});
