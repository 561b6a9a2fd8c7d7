/**
 * GET /api/v1/settings (Lifeline's Admin privilege on the inventory root): the server's settings
 * as an administrator needs to see them, read-only. It never carries a secret: a vCenter's
 * service user is named, its password file is not read, and the store passphrase is only said
 * to be held in a file under the data directory (with a warning) or not.
 */
import { Router } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { ConcurrencyLimits } from '../../jobs/index.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES } from '../privileges.js';

export interface VcenterSettings {
  guid: string;
  url: string;
  user: string;
  thumbprint: string;
}

export interface MaintenanceSettings {
  /** False: no scheduled run (lifeline.json maintenance.enabled). */
  enabled: boolean;
  /** HH:MM, server local time. */
  at: string;
  verifyPercent: number;
  /** ISO time of the next scheduled run; null when none is scheduled (yet). */
  nextRunAt: string | null;
}

export interface ServerSettings {
  version: string;
  dataDir: string;
  /** Null when the server has no backup store. */
  storeDir: string | null;
  storeEncrypted: boolean | null;
  /** Whether the store passphrase is kept in a file inside the data directory. */
  passphraseInDataDir: boolean;
  vcenters: VcenterSettings[];
  sessionIdleSeconds: number;
  /** The slots (jobLimits.global and per key) and how many jobs may wait for one (jobLimits.queued). */
  jobLimits: ConcurrencyLimits & { queued: number };
  serverUrl: string;
  certificateThumbprint: string;
  /** The daily repository maintenance; null when the server has no backup store. */
  maintenance: MaintenanceSettings | null;
  /** Things an administrator should act on, in plain words. */
  warnings: string[];
}

export const PASSPHRASE_WARNING =
  'The store passphrase is kept in a file inside the data directory: export the key and keep the passphrase elsewhere, so that losing this server does not lose the backups.';

/** What an administrator reads at /settings, as it is when asked; null: the server reports none. */
export type SettingsSource = (() => ServerSettings) | null;

export function settingsRoutes<S extends UserSession>(auth: Authorizer<S>, source: SettingsSource): Router {
  const router = Router();
  // The settings name every vCenter Lifeline serves and its service account: Admin on each.
  router.get('/settings', auth.require({ privileges: [PRIVILEGES.admin] }), async (req, res) => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    const settings = source?.();
    if (!settings) throw new NotFoundError('This Lifeline server does not report its settings.');
    res.json(settings);
  });
  return router;
}
