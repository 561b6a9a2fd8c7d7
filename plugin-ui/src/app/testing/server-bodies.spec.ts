import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { OPENAPI_DOCUMENT } from './openapi-document.generated';
import * as bodies from './server-bodies';
import * as notificationBodies from './notification-bodies';
import * as siteBodies from './site-bodies';
import * as drBodies from './dr-bodies';

/**
 * The bodies the UI's specs stand in for the server with must be bodies the server sends: each is
 * checked against the schema the API's OpenAPI document gives it, as the API suites check the
 * server's own answers against the same document.
 */
const DOCUMENT_ID = 'https://lifeline.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI_DOCUMENT, $id: DOCUMENT_ID });

function violations(schema: string, body: unknown): string[] {
  const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/${schema}`);
  if (validate === undefined) {
    return [`the document has no schema ${schema}`];
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`);
}

/** The data of the one event of a server-sent event block. */
function eventData(block: string): unknown {
  const data = block.split('\n').find((line) => line.startsWith('data: '));
  return JSON.parse(data?.slice('data: '.length) ?? 'null') as unknown;
}

/** Every builder of server-bodies.ts, by name, with what it builds and the schema that describes it. */
const CASES: Readonly<Record<string, readonly [schema: string, body: unknown]>> = {
  policyBody: ['Policy', bodies.policyBody()],
  pageBody: ['PolicyPage', bodies.pageBody([bodies.policyBody()], { total: 3, offset: 1, limit: 1 })],
  protectionBody: ['VmProtection', bodies.protectionBody()],
  unprotectedBody: ['VmProtection', bodies.unprotectedBody()],
  jobBody: ['Job', bodies.jobBody()],
  sseEvent: ['JobEvent', eventData(bodies.sseEvent('state', { seq: 7, jobId: bodies.JOB_ID, job: bodies.jobBody() }))],
  complianceBody: ['VmCompliance', bodies.complianceBody('vm-58')],
  drCopyBody: ['VmCompliance', bodies.complianceBody('vm-58', { replication: bodies.drCopyBody({ state: 'site-not-paired', lagSeconds: null, rpoMet: false }) })],
  vmBody: ['VmSummary', bodies.vmBody('vm-58', 'erp-01')],
  pointBody: ['RestorePoint', bodies.pointBody()],
  revertBody: ['VmRevert', bodies.revertBody()],
  instantRevertBody: ['VmInstantRevert', bodies.instantRevertBody({ active: true, pointId: bodies.POINT_ID, state: 'migrating', createdAt: '2026-11-23T11:00:00.000Z', job: { id: bodies.JOB_ID, operation: 'commit', state: 'running', bytesDone: 1, bytesTotal: 2 } })],
  instantRecoveryBody: ['InstantRecovery', bodies.instantRecoveryBody()],
  instantAcceptedBody: ['InstantAccepted', bodies.instantAcceptedBody()],
  migrationTargetsBody: ['InstantMigrationTargets', bodies.migrationTargetsBody()],
  attachmentBody: ['Attachment', bodies.attachmentBody()],
  daysAddedBody: ['StorageFigures', bodies.storageBody({ dataAddedPerDay: bodies.daysAddedBody({ '2026-11-20': { newBytes: 10, points: 1 } }) })],
  storageBody: ['StorageFigures', bodies.storageBody()],
  settingsBody: ['ServerSettings', bodies.settingsBody()],
  vcenterListBody: ['VcenterList', bodies.vcenterListBody('5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37', 'vc01.example.com')],
};

/** The same for the sites API's bodies (site-bodies.ts). */
const SITE_CASES: Readonly<Record<string, readonly [schema: string, body: unknown]>> = {
  replicationSettingsBody: ['ReplicationSettings', siteBodies.replicationSettingsBody()],
  linkBody: ['LinkStats', siteBodies.linkBody()],
  peerBody: ['Peer', siteBodies.peerBody()],
  sitesBody: ['SitesOverview', siteBodies.sitesBody()],
  pairingCodeBody: ['PairingCode', siteBodies.pairingCodeBody()],
  probeBody: ['SiteProbe', siteBodies.probeBody()],
  vmReplicationBody: ['VmReplication', siteBodies.vmReplicationBody()],
  // A job's result is the job kind's own object: checked as the result of a Job.
  replicationResultBody: ['Job', bodies.jobBody({ kind: 'replication', state: 'succeeded', result: siteBodies.replicationResultBody() })],
};

/** The same for the notifications API's bodies (notification-bodies.ts). */
const NOTIFICATION_CASES: Readonly<Record<string, readonly [schema: string, body: unknown]>> = {
  webhookChannelBody: ['NotificationChannel', notificationBodies.webhookChannelBody()],
  syslogChannelBody: ['NotificationChannel', notificationBodies.syslogChannelBody()],
  emailChannelBody: ['NotificationChannel', notificationBodies.emailChannelBody()],
  vcenterChannelBody: ['NotificationChannel', notificationBodies.vcenterChannelBody()],
  channelListBody: ['NotificationChannelList', notificationBodies.channelListBody()],
  testResultBody: ['ChannelTestResult', notificationBodies.testResultBody()],
  // One attempt is checked as the only item of a log.
  deliveryBody: ['DeliveryLog', notificationBodies.deliveryLogBody([notificationBodies.deliveryBody({ outcome: 'dead', attempt: 6 })])],
  deliveryLogBody: ['DeliveryLog', notificationBodies.deliveryLogBody()],
  vmEventsBody: ['VmEventList', notificationBodies.vmEventsBody()],
};

/** The same for the disaster-recovery API's bodies (dr-bodies.ts). */
const DR_CASES: Readonly<Record<string, readonly [schema: string, body: unknown]>> = {
  mappingsBody: ['ResourceMappings', drBodies.mappingsBody()],
  siteMappingsBody: ['SiteMappings', drBodies.siteMappingsBody()],
  mappingsSavedBody: ['SiteMappingsSaved', drBodies.mappingsSavedBody({ unused: ['network VM Netwrk'] })],
  mappingTargetsBody: ['MappingTargets', drBodies.mappingTargetsBody()],
  replicatedVmBody: ['ReplicatedVm', drBodies.replicatedVmBody()],
  replicatedVmListBody: ['ReplicatedVmList', drBodies.replicatedVmListBody()],
  failoverBody: ['Failover', drBodies.failoverBody()],
  failoverAcceptedBody: ['FailoverAccepted', drBodies.failoverAcceptedBody()],
  planRunBody: ['PlanRun', drBodies.planRunBody()],
  planBody: ['RecoveryPlan', drBodies.planBody({ vmOptions: { [drBodies.SOURCE_VM_ID]: { point: 'latest', powerOn: false, waitForTools: true, toolsTimeoutSeconds: 60, hookSet: 'db', networks: { 'VM Network': 'DR Network' }, datastore: 'DR-DS', folder: 'group-v3', pool: 'resgroup-8' } } })],
  planListBody: ['RecoveryPlanList', drBodies.planListBody()],
  planAcceptedBody: ['PlanAccepted', drBodies.planAcceptedBody()],
  capabilitiesBody: ['VmCapabilities', drBodies.capabilitiesBody()],
};

describe('server bodies of the UI specs', () => {
  for (const [builder, [schema, body]] of Object.entries(DR_CASES)) {
    it(`${builder}() (disaster recovery) builds a ${schema} as the OpenAPI document describes it`, () => {
      expect(violations(schema, body)).toEqual([]);
    });
  }

  it('checks every disaster-recovery builder there is', () => {
    const builders = Object.entries(drBodies)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(builders.filter((name) => !(name in DR_CASES))).toEqual([]);
  });

  it('would notice a plan body the document does not describe', () => {
    expect(violations('RecoveryPlan', drBodies.planBody({ vmOptions: { x: { powerOn: 'yes' } } }))).not.toEqual([]);
  });

  for (const [builder, [schema, body]] of Object.entries(NOTIFICATION_CASES)) {
    it(`${builder}() (notifications) builds a ${schema} as the OpenAPI document describes it`, () => {
      expect(violations(schema, body)).toEqual([]);
    });
  }

  it('checks every notifications builder there is', () => {
    const builders = Object.entries(notificationBodies)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(builders.filter((name) => !(name in NOTIFICATION_CASES))).toEqual([]);
  });

  it('would notice a channel body the document does not describe', () => {
    expect(violations('NotificationChannel', notificationBodies.webhookChannelBody({ kind: 'pager' }))).not.toEqual([]);
  });

  for (const [builder, [schema, body]] of Object.entries(SITE_CASES)) {
    it(`${builder}() (sites) builds a ${schema} as the OpenAPI document describes it`, () => {
      expect(violations(schema, body)).toEqual([]);
    });
  }

  it('checks every sites builder there is', () => {
    const builders = Object.entries(siteBodies)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(builders.filter((name) => !(name in SITE_CASES))).toEqual([]);
  });

  for (const [builder, [schema, body]] of Object.entries(CASES)) {
    it(`${builder}() builds a ${schema} as the OpenAPI document describes it`, () => {
      expect(violations(schema, body)).toEqual([]);
    });
  }

  it('checks every builder there is', () => {
    const builders = Object.entries(bodies)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(builders.filter((name) => !(name in CASES))).toEqual([]);
  });

  it('would notice a body the document does not describe', () => {
    expect(violations('Job', bodies.jobBody({ state: 'paused' }))).not.toEqual([]);
    const { finishedAt: _gone, ...lacking } = bodies.jobBody();
    expect(violations('Job', lacking)).toContain("(body) must have required property 'finishedAt'");
  });
});
