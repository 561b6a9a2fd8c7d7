import { Injectable, inject } from '@angular/core';

import { readJob, type Job } from '../api/job';
import { isNumber, isNumberOrNull, isRecord, isString, isStringOrNull } from '../api/json-reader';
import { LifelineApi } from '../api/lifeline-api';
import type { components } from '../api/lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

export const INSTANT_RECOVERIES_PATH = '/api/v1/instant-recoveries';

export type InstantRecoveryKind = Schemas['InstantRecovery']['kind'];
/** starting → running (from the point on Lifeline's NFS datastore) → migrating or discarding, then gone. */
export type InstantRecoveryState = Schemas['InstantRecovery']['state'];
export const INSTANT_RECOVERY_STATES = ['starting', 'running', 'migrating', 'discarding'] as const satisfies readonly InstantRecoveryState[];

export type InstantRecoveryDisk = Pick<Schemas['InstantRecovery']['disks'][number], 'pointDisk' | 'capacity' | 'file'>;

/**
 * `GET /api/v1/instant-recoveries[/{runId}]`: an instant new instance (a new VM registered from the
 * NFS datastore) or an instant attach (the point's disks attached to another VM), which runs from
 * the backup until it is migrated to production storage or discarded; `jobId` is the job working
 * on it last, whose progress is the migration's.
 */
export type InstantRecovery = Pick<Schemas['InstantRecovery'], 'id' | 'kind' | 'vm' | 'vmName' | 'pointId' | 'state' | 'jobId' | 'createdAt'> & {
  readonly disks: readonly InstantRecoveryDisk[];
};

/** `GET /api/v1/instant-recoveries/{runId}/migration-targets`: a datastore a migration may go to. */
export type MigrationTarget = Schemas['InstantMigrationTargets']['items'][number];

export function readMigrationTargets(body: unknown): readonly MigrationTarget[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items = (body['items'] as unknown[]).map((item): MigrationTarget | null => {
    if (!isRecord(item)) {
      return null;
    }
    const { name, capacityBytes, freeBytes } = item;
    return isString(name) && isNumberOrNull(capacityBytes) && isNumberOrNull(freeBytes) ? { name, capacityBytes, freeBytes } : null;
  });
  return items.every((t): t is MigrationTarget => t !== null) ? items : null;
}

/** A 202 of migrate or discard: the job, and the instant recovery it works on. */
export type InstantAccepted = Pick<Schemas['InstantAccepted'], 'created' | 'runId'> & { readonly job: Job };

function readVmRef(value: unknown): InstantRecovery['vm'] | undefined {
  if (value === null) {
    return null;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const { id, moref, vcenter } = value;
  return isString(id) && isString(moref) && isString(vcenter) ? { id, moref, vcenter } : undefined;
}

function readDisk(value: unknown): InstantRecoveryDisk | null {
  if (!isRecord(value)) {
    return null;
  }
  const { pointDisk, capacity, file } = value;
  return isNumber(pointDisk) && isNumber(capacity) && isStringOrNull(file) ? { pointDisk, capacity, file } : null;
}

export function readInstantRecovery(body: unknown): InstantRecovery | null {
  if (!isRecord(body) || !Array.isArray(body['disks'])) {
    return null;
  }
  const { id, kind, vmName, pointId, state, jobId, createdAt } = body;
  const vm = readVmRef(body['vm']);
  const disks = (body['disks'] as unknown[]).map(readDisk);
  if (
    !isString(id) ||
    !(kind === 'new-instance' || kind === 'attach') ||
    vm === undefined ||
    !isString(vmName) ||
    !isString(pointId) ||
    !(INSTANT_RECOVERY_STATES as readonly unknown[]).includes(state) ||
    !isStringOrNull(jobId) ||
    !isString(createdAt) ||
    !disks.every((d): d is InstantRecoveryDisk => d !== null)
  ) {
    return null;
  }
  return { id, kind, vm, vmName, pointId, state: state as InstantRecoveryState, jobId, createdAt, disks };
}

export function readInstantRecoveries(body: unknown): readonly InstantRecovery[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items = (body['items'] as unknown[]).map(readInstantRecovery);
  return items.every((r): r is InstantRecovery => r !== null) ? items : null;
}

export function readInstantAccepted(body: unknown): InstantAccepted | null {
  if (!isRecord(body) || typeof body['created'] !== 'boolean' || !isString(body['runId'])) {
    return null;
  }
  const job = readJob(body['job']);
  return job === null ? null : { job, created: body['created'], runId: body['runId'] };
}

function runPath(runId: string): string {
  return `${INSTANT_RECOVERIES_PATH}/${encodeURIComponent(runId)}`;
}

/**
 * The instant recoveries API as the UI calls it. The server authorises each call as the API
 * documents: reading needs System.Read, migrate and discard Lifeline's Restore privilege on the VM
 * (and Datastore.AllocateSpace on a migration's target); a refusal comes back as the API's problem.
 */
@Injectable({ providedIn: 'root' })
export class InstantRecoveriesApi {
  private readonly api = inject(LifelineApi);

  list(signal?: AbortSignal): Promise<readonly InstantRecovery[]> {
    return this.api.get(INSTANT_RECOVERIES_PATH, readInstantRecoveries, signal);
  }

  get(runId: string, signal?: AbortSignal): Promise<InstantRecovery> {
    return this.api.get(runPath(runId), readInstantRecovery, signal);
  }

  /** The datastores of the VM's datacenter the disks may move to (not Lifeline's NFS datastore). */
  migrationTargets(runId: string, signal?: AbortSignal): Promise<readonly MigrationTarget[]> {
    return this.api.get(`${runPath(runId)}/migration-targets`, readMigrationTargets, signal);
  }

  /** Moves the disks to `datastore` (a datastore of the VM's datacenter, by name) while the VM runs. */
  migrate(runId: string, datastore: string, signal?: AbortSignal): Promise<InstantAccepted> {
    const body: Schemas['InstantMigrateRequest'] = { datastore };
    return this.api.post(`${runPath(runId)}/migrate`, body, readInstantAccepted, signal);
  }

  /** Removes the new VM (or detaches the disks) and drops what the guest wrote; the point stays as it was. */
  discard(runId: string, signal?: AbortSignal): Promise<InstantAccepted> {
    const body: Schemas['EmptyRequest'] = {};
    return this.api.post(`${runPath(runId)}/discard`, body, readInstantAccepted, signal);
  }
}
