import { FAKE_VC_GUID, FAKE_VM_ID } from '../sdk/fake-html-client-sdk';

/**
 * Bodies as the Lifeline server sends them (plugin-server/src/api/routes), with every field the
 * server writes, so a spec of a view also proves that the view's reader accepts the real shape.
 * Each builder takes overrides for what a spec is about.
 */

type Body = Record<string, unknown>;

export const POLICY_ID = 'pol-gold';

export function policyBody(overrides: Body = {}): Body {
  return {
    id: POLICY_ID,
    name: 'Gold',
    rpoSeconds: 900,
    retention: { keepLast: 4, hourly: 24, daily: 14, weekly: 0, monthly: 0, yearly: 0 },
    immutabilityDays: 7,
    consistency: 'application',
    onQuiesceFailure: 'crash-consistent',
    excludedDisks: [],
    windows: [{ days: ['mon'], start: '22:00', end: '06:00' }],
    replicationSite: null,
    hookSet: null,
    createdAt: '2026-11-20T08:00:00.000Z',
    updatedAt: '2026-11-20T08:00:00.000Z',
    vmCount: 3,
    feasibility: { feasible: true, bestRpoSeconds: 120, vmsInfeasible: 0, vmsUnmeasured: 0, reason: null },
    ...overrides,
  };
}

export function pageBody(items: readonly unknown[], page: { total?: number; offset?: number; limit?: number } = {}): Body {
  return { items, total: page.total ?? items.length, offset: page.offset ?? 0, limit: page.limit ?? 100 };
}

export function protectionBody(overrides: Body = {}): Body {
  return {
    vm: { id: FAKE_VM_ID, moref: 'vm-58', vcenter: FAKE_VC_GUID },
    backupAvailable: true,
    activeJob: null,
    protected: true,
    policy: { id: POLICY_ID, name: 'Gold', rpoSeconds: 900 },
    assignedAt: '2026-11-20T09:00:00.000Z',
    paused: false,
    pauseReason: null,
    pausedAt: null,
    lastGoodPointAt: '2026-11-23T10:00:00.000Z',
    nextBackupDueAt: '2026-11-23T10:12:00.000Z',
    rpo: { status: 'at-risk', ageSeconds: 780, rpoSeconds: 900, exceededBySeconds: 0 },
    ...overrides,
  };
}

export function unprotectedBody(overrides: Body = {}): Body {
  return protectionBody({
    protected: false,
    policy: null,
    assignedAt: null,
    lastGoodPointAt: null,
    nextBackupDueAt: null,
    rpo: null,
    ...overrides,
  });
}

export const JOB_ID = 'job-7f3a';

export function jobBody(overrides: Body = {}): Body {
  return {
    id: JOB_ID,
    kind: 'backup',
    target: { type: 'VirtualMachine', id: 'vm-58', vcenterGuid: FAKE_VC_GUID },
    state: 'running',
    priority: 0,
    params: {},
    limitKeys: [],
    phase: 'read',
    phases: [{ name: 'read', startedAt: '2026-11-23T10:00:05.000Z', endedAt: null }],
    progress: { bytesDone: 0, bytesTotal: null, rateBytesPerSecond: null, etaSeconds: null },
    checkpoint: null,
    result: null,
    attempt: 1,
    maxAttempts: 3,
    nextAttemptAt: null,
    cancelRequested: false,
    error: null,
    cleanup: 'none',
    requestedBy: 'VSPHERE.LOCAL\\alice',
    log: { lines: 0, dropped: 0 },
    createdAt: '2026-11-23T10:00:00.000Z',
    startedAt: '2026-11-23T10:00:05.000Z',
    updatedAt: '2026-11-23T10:00:05.000Z',
    finishedAt: null,
    deadline: null,
    yieldsWhileQueued: false,
    ...overrides,
  };
}

/** One server-sent event as the server writes it: id, event name and the JSON event. */
export function sseEvent(type: string, body: Body): string {
  const seq = typeof body['seq'] === 'number' ? body['seq'] : 0;
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ type, at: '2026-11-23T10:00:06.000Z', ...body })}\n\n`;
}

/** One entry of `GET /api/v1/compliance`. */
export function complianceBody(moref: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    vm: { id: `urn:vmomi:VirtualMachine:${moref}:${FAKE_VC_GUID}`, moref, vcenter: FAKE_VC_GUID },
    policy: { id: 'pol-gold', name: 'Gold' },
    paused: false,
    lastGoodPointAt: '2026-11-23T10:00:00.000Z',
    status: 'compliant',
    ageSeconds: 120,
    rpoSeconds: 900,
    exceededBySeconds: 0,
    feasibility: { feasible: true, bestRpoSeconds: 120, reason: null },
    replication: null,
    ...overrides,
  };
}

/** A compliance entry's copy at the DR site (its `replication`), up to date by default. */
export function drCopyBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { siteName: 'dr-site', state: 'ok', lagSeconds: 300, rpoMet: true, ...overrides };
}

/** One VM of `GET /api/v1/vms`. */
export function vmBody(moref: string, name: string): Record<string, unknown> {
  return {
    id: `urn:vmomi:VirtualMachine:${moref}:${FAKE_VC_GUID}`,
    moref,
    vcenter: FAKE_VC_GUID,
    name,
    powerState: 'poweredOn',
    instanceUuid: null,
    guestFullName: null,
  };
}

export const POINT_ID = '20261123-100000-1a2b3c4d';

/** One restore point of `GET /api/v1/vms/{id}/points`. */
export function pointBody(overrides: Body = {}): Body {
  return {
    id: POINT_ID,
    vm: { id: FAKE_VM_ID, name: 'erp-01', moref: 'vm-58', vcenterGuid: FAKE_VC_GUID },
    createdAt: '2026-11-23T10:00:00.000Z',
    consistency: 'application',
    retainUntil: '2026-11-30T10:00:00.000Z',
    locked: true,
    damaged: false,
    logicalBytes: 40 * 2 ** 30,
    newBytes: 1536 * 2 ** 20,
    disks: [
      { index: 0, label: 'Hard disk 1', capacityBytes: 32 * 2 ** 30, datastorePath: '[datastore1] erp-01/erp-01.vmdk' },
      { index: 1, label: 'Hard disk 2', capacityBytes: 8 * 2 ** 30, datastorePath: null },
    ],
    jobId: JOB_ID,
    objectStorageCopy: null,
    ...overrides,
  };
}

/** `GET /api/v1/vms/{id}/revert`, for a VM in no revert unless overridden. */
export function revertBody(overrides: Body = {}): Body {
  return {
    vm: { id: FAKE_VM_ID, moref: 'vm-58', vcenter: FAKE_VC_GUID },
    reverted: false,
    pointId: null,
    state: null,
    revertedAt: null,
    jobId: null,
    disks: [],
    ...overrides,
  };
}

/** `GET /api/v1/vms/{id}/instant-revert`: the VM runs from no restore point by default. */
export function instantRevertBody(overrides: Body = {}): Body {
  return {
    vm: { id: FAKE_VM_ID, moref: 'vm-58', vcenter: FAKE_VC_GUID },
    active: false,
    pointId: null,
    state: null,
    createdAt: null,
    job: null,
    disks: [],
    ...overrides,
  };
}

export const RUN_ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** One instant recovery of `GET /api/v1/instant-recoveries`: a new VM running from the point by default. */
export function instantRecoveryBody(overrides: Body = {}): Body {
  return {
    id: RUN_ID,
    kind: 'new-instance',
    vm: { id: `urn:vmomi:VirtualMachine:vm-91:${FAKE_VC_GUID}`, moref: 'vm-91', vcenter: FAKE_VC_GUID },
    vmName: 'erp-01-instant',
    pointId: POINT_ID,
    state: 'running',
    jobId: JOB_ID,
    disks: [
      {
        pointDisk: 0,
        capacity: 32 * 2 ** 30,
        file: '[lifeline-e2e] 20261123-100000-1a2b3c4d/disk0.vmdk',
        deviceKey: 2000,
        controllerKey: 1000,
        unitNumber: 0,
      },
    ],
    createdAt: '2026-11-23T12:00:00.000Z',
    updatedAt: '2026-11-23T12:01:00.000Z',
    ...overrides,
  };
}

/** The 202 of an instant recovery's migrate or discard. */
export function instantAcceptedBody(job: Body = {}): Body {
  return { job: jobBody({ kind: 'instant-recovery', state: 'queued', ...job }), created: true, runId: RUN_ID };
}

/** `GET /api/v1/instant-recoveries/{runId}/migration-targets`: two datastores, one whose space vCenter does not say. */
export function migrationTargetsBody(): Body {
  return {
    items: [
      { name: 'LocalDS_0', capacityBytes: 100 * 2 ** 30, freeBytes: 40 * 2 ** 30 },
      { name: 'LocalDS_1', capacityBytes: null, freeBytes: null },
    ],
  };
}

export const ATTACHMENT_ID = '6f1c2d3e-0000-4000-8000-000000000001';

/** One attachment of `GET /api/v1/vms/{id}/attachments`. */
export function attachmentBody(overrides: Body = {}): Body {
  return {
    id: ATTACHMENT_ID,
    vm: { id: FAKE_VM_ID, moref: 'vm-58', vcenter: FAKE_VC_GUID },
    pointId: POINT_ID,
    state: 'attached',
    jobId: JOB_ID,
    folder: '[datastore1] lifeline-attach/6f1c2d3e',
    disks: [
      {
        pointDisk: 0,
        label: 'Hard disk 1',
        file: '[datastore1] lifeline-attach/6f1c2d3e/disk0.vmdk',
        capacity: 32 * 2 ** 30,
        deviceKey: 2005,
        controllerKey: 1000,
        unitNumber: 5,
      },
    ],
    createdAt: '2026-11-23T12:00:00.000Z',
    updatedAt: '2026-11-23T12:01:00.000Z',
    ...overrides,
  };
}

/**
 * The 30 days of `dataAddedPerDay` up to 2026-11-23, oldest first; `added` gives, by day, the
 * stored bytes added and the points that added them, and every other day added nothing.
 */
export function daysAddedBody(added: Readonly<Record<string, { newBytes: number; points: number }>> = {}): Body[] {
  const last = Date.UTC(2026, 10, 23);
  return Array.from({ length: 30 }, (_, i) => {
    const day = new Date(last - (29 - i) * 86_400_000).toISOString().slice(0, 10);
    return { day, newBytes: added[day]?.newBytes ?? 0, points: added[day]?.points ?? 0 };
  });
}

/**
 * `GET /api/v1/storage`: 12 points of 4 VMs, 480 GiB logical, 60 GiB stored, on a 4 TiB file
 * system with 3 TiB free and 2 GiB kept in reserve.
 */
export function storageBody(overrides: Body = {}): Body {
  return {
    points: 12,
    vms: 4,
    logicalBytes: 480 * 2 ** 30,
    dataBytes: 300 * 2 ** 30,
    storedBytes: 60 * 2 ** 30,
    savedBytes: 240 * 2 ** 30,
    dedupRatio: 2.5,
    compressionRatio: 2,
    dataAddedPerDay: daysAddedBody({
      '2026-11-21': { newBytes: 40 * 2 ** 30, points: 4 },
      '2026-11-22': { newBytes: 0, points: 4 },
      '2026-11-23': { newBytes: 20 * 2 ** 30, points: 4 },
    }),
    asOf: '2026-11-23T10:00:00.000Z',
    capacity: { totalBytes: 4 * 2 ** 40, freeBytes: 3 * 2 ** 40, reserveBytes: 2 * 2 ** 30 },
    ...overrides,
  };
}

export const PASSPHRASE_WARNING =
  'The store passphrase is kept in a file inside the data directory: export the key and keep the passphrase elsewhere, so that losing this server does not lose the backups.';

/** `GET /api/v1/settings` of a server with an encrypted store whose passphrase file lies in its data directory. */
export function settingsBody(overrides: Body = {}): Body {
  return {
    version: '0.1.0',
    dataDir: '/var/lib/lifeline',
    storeDir: '/srv/lifeline/store',
    storeEncrypted: true,
    passphraseInDataDir: true,
    vcenters: [
      {
        guid: FAKE_VC_GUID,
        url: 'https://vc01.example.com',
        user: 'svc-lifeline@vsphere.local',
        thumbprint: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01',
      },
    ],
    sessionIdleSeconds: 1800,
    jobLimits: { global: 4, perKeyClass: { datastore: 2 }, queued: 10000 },
    serverUrl: 'https://lifeline.example.com:8443',
    certificateThumbprint: '12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0',
    maintenance: { enabled: true, at: '03:00', verifyPercent: 4, nextRunAt: '2026-06-02T03:00:00.000Z' },
    warnings: [PASSPHRASE_WARNING],
    ...overrides,
  };
}

/** `GET /api/v1/vcenters` of a server: the vCenter of the session, named by its URL's host name. */
export function vcenterListBody(guid: string, name: string): Body {
  return { items: [{ guid, name }] };
}
