import type { Routes } from '@angular/router';

/** One route per view in plugin.json; each view loads only its own code. */
export const routes: Routes = [
  {
    path: 'vm/protection',
    loadComponent: () => import('./vm/protection/vm-protection').then((m) => m.VmProtection),
  },
  {
    path: 'vm/backup-now',
    loadComponent: () => import('./vm/backup-now/backup-now').then((m) => m.BackupNow),
  },
  {
    path: 'vm/backups',
    loadComponent: () => import('./vm/backups/vm-backups').then((m) => m.VmBackups),
  },
  {
    path: 'vm/recover',
    loadComponent: () => import('./vm/recover/recover-wizard').then((m) => m.RecoverWizard),
  },
  {
    path: 'vm/clone-attach',
    data: { mode: 'attach' },
    loadComponent: () => import('./vm/recover/recover-wizard').then((m) => m.RecoverWizard),
  },
  {
    path: 'vm/attached-disks',
    loadComponent: () => import('./vm/attached-disks/vm-attached-disks').then((m) => m.VmAttachedDisks),
  },
  {
    path: 'global/dashboard',
    loadComponent: () => import('./global/dashboard/dashboard').then((m) => m.Dashboard),
  },
  {
    path: 'global/protected-vms',
    loadComponent: () => import('./global/protected-vms/protected-vms').then((m) => m.ProtectedVms),
  },
  {
    path: 'global/policies',
    loadComponent: () => import('./global/policies/policies').then((m) => m.Policies),
  },
  {
    path: 'global/jobs',
    loadComponent: () => import('./global/jobs/jobs').then((m) => m.Jobs),
  },
  {
    path: 'global/audit',
    loadComponent: () => import('./global/audit/audit').then((m) => m.Audit),
  },
  {
    path: 'global/settings',
    loadComponent: () => import('./global/settings/settings').then((m) => m.Settings),
  },
  {
    path: 'global/settings/notifications',
    loadComponent: () => import('./notifications/notifications').then((m) => m.Notifications),
  },
  {
    path: 'global/sites',
    loadComponent: () => import('./sites/sites').then((m) => m.Sites),
  },
  {
    path: 'global/replicated-vms',
    loadComponent: () => import('./dr/replicated-vms-page').then((m) => m.ReplicatedVmsPage),
  },
  {
    path: 'global/recovery-plans',
    loadComponent: () => import('./dr/recovery-plans').then((m) => m.RecoveryPlans),
  },
  {
    path: 'global/instant-recoveries',
    loadComponent: () => import('./instant/instant-recoveries').then((m) => m.InstantRecoveries),
  },
  { path: '', pathMatch: 'full', redirectTo: 'global/dashboard' },
  {
    path: '**',
    loadComponent: () => import('./not-found/not-found').then((m) => m.NotFound),
  },
];
