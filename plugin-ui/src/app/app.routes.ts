import type { Routes } from '@angular/router';

/** One route per view in plugin.json; each view loads only its own code. */
export const routes: Routes = [
  {
    path: 'vm/protection',
    loadComponent: () => import('./vm/protection/vm-protection').then((m) => m.VmProtection),
  },
  {
    path: 'vm/backups',
    loadComponent: () => import('./vm/backups/vm-backups').then((m) => m.VmBackups),
  },
  {
    path: 'vm/attached-disks',
    loadComponent: () => import('./vm/attached-disks/vm-attached-disks').then((m) => m.VmAttachedDisks),
  },
  {
    path: 'global/dashboard',
    loadComponent: () => import('./global/dashboard/dashboard').then((m) => m.Dashboard),
  },
  { path: '', pathMatch: 'full', redirectTo: 'global/dashboard' },
  {
    path: '**',
    loadComponent: () => import('./not-found/not-found').then((m) => m.NotFound),
  },
];
