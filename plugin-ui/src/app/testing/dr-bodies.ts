/**
 * Bodies of the disaster-recovery API as its routes answer them (plugin-server/src/api/routes/dr.ts),
 * with every field they write, for the specs of the DR views. server-bodies.spec.ts checks each
 * against the schema the OpenAPI document gives it.
 */
import { jobBody } from './server-bodies';

type Body = Record<string, unknown>;

export const SOURCE_ID = '7d1e4c2a-0b3f-4e61-9c0a-2f4d6b8e1a99';
export const SOURCE_VM_ID = '5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a00:vm-42';
export const SOURCE_VM_ID2 = '5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a00:vm-43';
export const FAILOVER_ID = '0c9b2a1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
export const PLAN_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const RUN_ID = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';

export function mappingsBody(overrides: Body = {}): Body {
  return {
    vcenterGuid: null,
    networks: { 'VM Network': 'DR Network' },
    datastores: { LocalDS_0: 'DR-DS' },
    testNetworks: {},
    folder: null,
    resourcePool: null,
    ...overrides,
  };
}

export function siteMappingsBody(overrides: Body = {}): Body {
  return { mappings: mappingsBody(), updatedAt: '2026-11-23T09:00:00.000Z', ...overrides };
}

export function mappingsSavedBody(overrides: Body = {}): Body {
  return { mappings: mappingsBody(), updatedAt: '2026-11-23T10:00:00.000Z', unused: [], ...overrides };
}

export function mappingTargetsBody(overrides: Body = {}): Body {
  return {
    vcenterGuid: '9f8e7d6c-5b4a-4392-8172-6f5e4d3c2b1a',
    networks: ['DR Network', 'DR Test Network'],
    datastores: ['DR-DS', 'DR-DS2'],
    folders: [{ moref: 'group-v3', name: 'DC0 (VM folder)' }],
    ...overrides,
  };
}

export function replicatedVmBody(overrides: Body = {}): Body {
  return {
    vm: { id: SOURCE_VM_ID, name: 'erp-01' },
    points: 3,
    latestPoint: { id: '20261123-093000-1a2b3c4d', createdAt: '2026-11-23T09:30:00.000Z' },
    lagSeconds: 1800,
    missing: { failover: [], test: [{ kind: 'test-network', source: 'VM Network' }] },
    ...overrides,
  };
}

export function replicatedVmListBody(items: readonly unknown[] = [replicatedVmBody()]): Body {
  return { items };
}

export function failoverBody(overrides: Body = {}): Body {
  return {
    id: FAILOVER_ID,
    peerId: SOURCE_ID,
    siteName: 'prod-berlin',
    mode: 'test',
    sourceVm: { id: SOURCE_VM_ID, name: 'erp-01' },
    pointId: '20261123-093000-1a2b3c4d',
    pointCreatedAt: '2026-11-23T09:30:00.000Z',
    dataLossWindowSeconds: 1800,
    name: 'erp-01-dr-test',
    vcenterGuid: '9f8e7d6c-5b4a-4392-8172-6f5e4d3c2b1a',
    request: { datastore: 'DR-DS', folder: null, pool: null, networks: { 'VM Network': 'DR Test Network' }, powerOn: true, keepMacAddresses: false, toolsTimeoutSeconds: 300 },
    state: 'up',
    jobId: 'job-7',
    cleanupJobId: null,
    vm: { moref: 'vm-101', instanceUuid: '50123456-7890-abcd-ef01-234567890abc' },
    report: {
      startedAt: '2026-11-23T10:00:01.000Z',
      createdAt: '2026-11-23T10:00:09.000Z',
      poweredOnAt: '2026-11-23T10:00:12.000Z',
      toolsReadyAt: null,
      rtoSeconds: 11.4,
      failures: [],
      cleanedAt: null,
    },
    requestedBy: 'VSPHERE.LOCAL\\alice',
    planRunId: null,
    createdAt: '2026-11-23T10:00:00.000Z',
    updatedAt: '2026-11-23T10:00:12.000Z',
    ...overrides,
  };
}

export function failoverAcceptedBody(overrides: Body = {}): Body {
  return { job: jobBody({ kind: 'failover', target: { type: 'ReplicatedVirtualMachine', id: `${SOURCE_ID}/${SOURCE_VM_ID}`, vcenterGuid: null } }), created: true, failover: failoverBody({ state: 'starting' }), ...overrides };
}

export function planRunBody(overrides: Body = {}): Body {
  return { id: RUN_ID, planId: PLAN_ID, mode: 'test', jobId: 'job-9', cleanupJobId: null, groups: [[FAILOVER_ID]], requestedBy: 'VSPHERE.LOCAL\\alice', createdAt: '2026-11-23T10:00:00.000Z', ...overrides };
}

export function planBody(overrides: Body = {}): Body {
  return {
    id: PLAN_ID,
    name: 'ERP tier',
    peerId: SOURCE_ID,
    groups: [{ vms: [SOURCE_VM_ID] }, { vms: [SOURCE_VM_ID2] }],
    maxParallel: 4,
    toolsTimeoutSeconds: 300,
    createdAt: '2026-11-22T08:00:00.000Z',
    updatedAt: '2026-11-22T08:00:00.000Z',
    runs: [{ ...planRunBody(), failovers: [[failoverBody({ planRunId: RUN_ID })]] }],
    ...overrides,
  };
}

export function planListBody(items: readonly unknown[] = [planBody()]): Body {
  return { items };
}

export function planAcceptedBody(overrides: Body = {}): Body {
  return { job: jobBody({ kind: 'recovery-plan', target: { type: 'RecoveryPlan', id: PLAN_ID, vcenterGuid: null } }), created: true, run: planRunBody(), ...overrides };
}

export function capabilitiesBody(overrides: Body = {}): Body {
  return { protect: true, restore: true, admin: true, ...overrides };
}
