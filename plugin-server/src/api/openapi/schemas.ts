/**
 * The bodies of Lifeline's API as JSON Schema (components.schemas of the OpenAPI document). Each
 * follows the route that writes it (api/routes/*.ts) and the problem rendering (api/problem.ts).
 */
import {
  anyJson,
  arrayOf,
  bool,
  described,
  int,
  intOrNull,
  nullable,
  num,
  numOrNull,
  obj,
  oneOfStrings,
  pageOf,
  ref,
  str,
  strOrNull,
  time,
  timeOrNull,
  type Schema,
} from './schema-kit.js';

const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'];
const RPO_STATUSES = ['compliant', 'at-risk', 'violated'];
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const POINT_ID = '^\\d{8}-\\d{6}-[0-9a-f]{8}$';
const VM_URN = '^urn:vmomi:VirtualMachine:[A-Za-z0-9._-]{1,100}:[0-9A-Fa-f-]{36}$';

const nonNegative: Schema = { type: 'integer', minimum: 0 };
/** Names to names (mappings by vSphere name). */
const nameMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const hhmm: Schema = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM.' };
const vmUrn: Schema = { type: 'string', pattern: VM_URN, description: 'The vSphere Client\'s id of the VM: urn:vmomi:VirtualMachine:<moref>:<vCenter instance UUID>.' };
const pointId: Schema = { type: 'string', pattern: POINT_ID, description: 'A restore point id, e.g. 20250102-030405-1a2b3c4d.' };

/** A VM as protection, compliance, revert and attachments name it. */
const vmRef = obj({ id: vmUrn, moref: str, vcenter: { type: 'string', description: 'The vCenter instance UUID.' } });

const retention = obj(
  {
    keepLast: { type: 'integer', minimum: 0, maximum: 10_000 },
    hourly: { type: 'integer', minimum: 0, maximum: 8784 },
    daily: { type: 'integer', minimum: 0, maximum: 3660 },
    weekly: { type: 'integer', minimum: 0, maximum: 520 },
    monthly: { type: 'integer', minimum: 0, maximum: 1200 },
    yearly: { type: 'integer', minimum: 0, maximum: 100 },
  },
  { description: 'Restore points kept per rule; at least one rule above 0.' },
);

const backupWindow = obj(
  {
    days: arrayOf(oneOfStrings(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']), { minItems: 1, uniqueItems: true }),
    start: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM UTC.' },
    end: { type: 'string', pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$', description: 'HH:MM UTC; before start: the next day.' },
  },
  { description: 'When scheduled backups may start.' },
);

const excludedDisk: Schema = {
  oneOf: [obj({ deviceKey: nonNegative }), obj({ label: { type: 'string', minLength: 1 } })],
  description: 'A disk left out of backups, by device key or label.',
};

const policyMembers = {
  name: { type: 'string', minLength: 1, maxLength: 80 },
  rpoSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
  retention: ref('Retention'),
  immutabilityDays: { type: 'integer', minimum: 1, maximum: 3650 },
  consistency: oneOfStrings(['application', 'crash']),
  onQuiesceFailure: oneOfStrings(['fail', 'crash-consistent']),
  excludedDisks: arrayOf(ref('ExcludedDisk'), { maxItems: 64 }),
  windows: arrayOf(ref('BackupWindow'), { maxItems: 14 }),
  replicationSite: described(strOrNull, 'A paired DR site (GET /api/v1/sites, a peer with role target), by id or name, or null.'),
  hookSet: described(strOrNull, 'A hook set the server\'s configuration declares (GET /api/v1/hook-sets), or null.'),
  copyToObjectStorage: described(
    nullable(obj({ points: oneOfStrings(['all', 'weekly-monthly']), immutableDays: { type: 'integer', minimum: 1, maximum: 3650 } }, { optional: ['points'] })),
    "Copy the VM's restore points (all, or only those the retention keeps as weekly or monthly ones; default all) to the server's object storage after each backup, locked there for immutableDays from their creation; null (or absent) for none. The server must have object storage for copies configured (copyS3 in lifeline.json); otherwise a policy asking for copies is refused (400, field copyToObjectStorage).",
  ),
} satisfies Record<string, Schema>;

const jobTarget = obj({
  type: described(str, "e.g. 'VirtualMachine', 'repository'."),
  id: described(str, "e.g. the VM's moref."),
  vcenterGuid: described(strOrNull, 'Null for targets outside vSphere.'),
});

const jobProgress = obj({ bytesDone: num, bytesTotal: numOrNull, rateBytesPerSecond: numOrNull, etaSeconds: numOrNull });
const jobLogLine = obj({ line: int, at: time, level: oneOfStrings(['info', 'warn', 'error']), message: str });

const jobMembers = {
  id: str,
  kind: described(str, "e.g. 'backup', 'restore', 'retention', 'maintenance', 'replication'."),
  target: ref('JobTarget'),
  state: oneOfStrings(JOB_STATES),
  priority: int,
  params: described(anyJson, "The job's input, as submitted."),
  limitKeys: arrayOf(str),
  phase: strOrNull,
  phases: arrayOf(obj({ name: str, startedAt: time, endedAt: timeOrNull })),
  progress: ref('JobProgress'),
  checkpoint: anyJson,
  result: described(anyJson, 'What the job produced, e.g. { pointId } for a backup.'),
  attempt: int,
  maxAttempts: int,
  nextAttemptAt: timeOrNull,
  cancelRequested: bool,
  error: nullable(obj({ code: str, message: str })),
  cleanup: oneOfStrings(['none', 'pending', 'running', 'done', 'failed']),
  requestedBy: described(strOrNull, "A user name, or 'scheduler'."),
  log: obj({ lines: nonNegative, dropped: nonNegative }),
  createdAt: time,
  startedAt: timeOrNull,
  updatedAt: time,
  finishedAt: timeOrNull,
  deadline: described(timeOrNull, "When the job's result is needed: for a scheduled backup, when its VM would exceed its RPO. Queued jobs of one priority run earliest deadline first."),
  yieldsWhileQueued: described(bool, 'Until its first attempt starts, the job is cancelled (not a reason for 409 busy) when a job of another kind is asked for its target; scheduled backups do this.'),
} satisfies Record<string, Schema>;

const jobEventBase = { seq: nonNegative, at: time, jobId: str };

const pointDisk = obj({
  index: described(int, 'The disk number the export and attach calls use.'),
  label: str,
  capacityBytes: nonNegative,
  datastorePath: described(strOrNull, 'Where the disk was when it was backed up.'),
});

const pointMembers = {
  id: pointId,
  vm: obj({
    id: nullable(vmUrn),
    name: str,
    moref: strOrNull,
    vcenterGuid: strOrNull,
  }, { description: 'Null id, moref and vCenter for a point made outside vCenter (from image files).' }),
  createdAt: time,
  consistency: oneOfStrings(['application', 'crash']),
  retainUntil: time,
  locked: described(bool, 'Before retainUntil nobody can delete the point.'),
  damaged: bool,
  logicalBytes: nonNegative,
  newBytes: described(nonNegative, 'What the point added to the store (stored bytes).'),
  disks: arrayOf(ref('PointDisk')),
  jobId: described(strOrNull, 'The backup job that made the point, while the server keeps it.'),
  objectStorageCopy: described(
    nullable(obj({ retainUntil: described(time, 'Until when the copy is locked on object storage.') })),
    "Where the point is held besides the local store: its copy on the server's object storage (a policy's copyToObjectStorage), or null when it has none.",
  ),
} satisfies Record<string, Schema>;

const configuration = obj({
  cpus: intOrNull,
  memoryBytes: intOrNull,
  guestOs: strOrNull,
  guestId: strOrNull,
  networks: arrayOf(obj({ label: strOrNull, network: strOrNull, adapterType: strOrNull, macAddress: strOrNull })),
});

export const SCHEMAS: Readonly<Record<string, Schema>> = {
  Problem: obj(
    {
      type: described(str, "Always 'about:blank': problems are told apart by code."),
      title: str,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: str,
      instance: { type: 'string', pattern: '^urn:uuid:', description: 'The request id.' },
      code: described(str, "Lifeline's stable error code, e.g. 'not-found', 'retention-locked'."),
      errorId: described(str, 'On 5xx: the id to quote when reporting the error.'),
      errors: arrayOf(ref('FieldError'), { description: 'On 400: every field or parameter at fault.' }),
    },
    { optional: ['errorId', 'errors'], open: true, description: 'RFC 9457 problem details; further members name what the problem is about (pointId, jobId, …).' },
  ),
  FieldError: obj({ field: str, message: str }),

  Health: obj({ status: { const: 'ok' }, version: str, time }),

  Vcenter: obj(
    {
      guid: described(str, 'The instance UUID, lower case.'),
      name: described(str, "The host name of the vCenter's configured URL, as the vSphere Client's inventory shows the vCenter."),
    },
    { description: 'A vCenter this server serves.' },
  ),
  VcenterList: obj({ items: arrayOf(ref('Vcenter')) }),

  VmSummary: obj({
    id: vmUrn,
    moref: str,
    vcenter: str,
    name: str,
    powerState: str,
    instanceUuid: strOrNull,
    guestFullName: strOrNull,
  }),
  VmPage: pageOf(ref('VmSummary')),
  VmCapabilities: obj(
    {
      protect: described(bool, 'Assign or remove protection, back up now.'),
      restore: described(bool, 'Revert, new instance, clone and attach, export.'),
      admin: described(bool, 'Policies, the audit log, deleting restore points.'),
    },
    { description: "What the caller may do on the VM, by Lifeline privilege." },
  ),
  VmRef: vmRef,

  Retention: retention,
  BackupWindow: backupWindow,
  ExcludedDisk: excludedDisk,
  PolicySpec: {
    ...obj(policyMembers, { optional: ['immutabilityDays', 'consistency', 'onQuiesceFailure', 'excludedDisks', 'windows', 'replicationSite', 'hookSet', 'copyToObjectStorage'] }),
    description: 'A policy as sent: fields left out take their defaults (immutabilityDays 7, consistency application, onQuiesceFailure fail, no exclusions, no windows, no replication, no hook set, no copy to object storage).',
  },
  PolicyPatch: {
    type: 'object',
    description: 'An RFC 7396 merge patch of a policy spec: null removes a member (its default applies). The merged policy must be valid.',
  },
  Policy: obj({
    id: str,
    ...policyMembers,
    createdAt: time,
    updatedAt: time,
    vmCount: described(nonNegative, 'VMs the policy protects.'),
    feasibility: ref('PolicyFeasibility'),
  }, { optional: ['copyToObjectStorage'] }),
  PolicyFeasibility: obj(
    {
      feasible: described(nullable(bool), "False when some of the policy's VMs cannot meet its RPO with their measured backup durations and the configured job slots; null while none of its VMs has a measured backup."),
      bestRpoSeconds: described(nullable(nonNegative), 'The smallest RPO all its measured VMs could meet with the slots as configured; null while none is measured.'),
      vmsInfeasible: described(nonNegative, 'VMs that cannot meet the RPO.'),
      vmsUnmeasured: described(nonNegative, 'VMs with no measured backup yet, not judged.'),
      reason: described(nullable(oneOfStrings(['backup-too-slow', 'slots'])), "backup-too-slow: a VM's backups take more than half the RPO; slots: the VMs sharing a job limit (all jobs, a datastore, a host) need more slots than it gives."),
    },
    { description: 'Whether the VMs the policy protects can all meet its RPO, judged from measured backup durations and the job limits (GET /settings).' },
  ),
  VmFeasibility: obj(
    {
      feasible: nullable(bool),
      bestRpoSeconds: described(nullable(nonNegative), "The smallest RPO this VM's backup duration and its share of the job slots allow; null while no backup of it is measured."),
      reason: nullable(oneOfStrings(['backup-too-slow', 'slots'])),
    },
    { description: "Whether this VM can meet its policy's RPO with its measured backup duration and the configured job slots." },
  ),
  PolicyPage: pageOf(ref('Policy')),
  HookSetPage: pageOf(obj({ name: str })),

  RpoCompliance: obj({
    status: oneOfStrings(RPO_STATUSES),
    ageSeconds: described(numOrNull, 'Age of the last good restore point; null before the first.'),
    rpoSeconds: int,
    exceededBySeconds: num,
  }),
  VmProtection: obj({
    vm: ref('VmRef'),
    backupAvailable: described(bool, 'Whether this server can run backups at all.'),
    activeJob: nullable(obj({ id: str, kind: str, state: oneOfStrings(JOB_STATES) })),
    protected: bool,
    policy: nullable(obj({ id: str, name: str, rpoSeconds: int })),
    assignedAt: timeOrNull,
    paused: bool,
    pauseReason: strOrNull,
    pausedAt: timeOrNull,
    lastGoodPointAt: timeOrNull,
    nextBackupDueAt: described(timeOrNull, 'A time in the past means overdue.'),
    rpo: nullable(ref('RpoCompliance')),
  }),
  VmReplication: obj({
    site: described(nullable(obj({ id: str, name: str })), 'The DR site the policy names; null when it names none.'),
    state: oneOfStrings(['not-configured', 'ok', 'lagging', 'failing', 'site-not-paired'], 'site-not-paired: the policy names a site this server is not paired with, and nothing is replicated.'),
    lastReplicatedPointId: strOrNull,
    lastReplicatedAt: described(timeOrNull, 'When the last replication job that succeeded ended.'),
    lagSeconds: described(numOrNull, 'Age of the newest restore point the DR site holds: the RPO achieved there.'),
    rpoSeconds: intOrNull,
    rpoMet: nullable(bool),
    lastError: strOrNull,
    backlogPoints: described(nonNegative, 'Restore points of the VM newer than the last replicated one.'),
  }),
  ProtectionAssignment: obj({ policyId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } }),
  VmCompliance: obj({
    vm: ref('VmRef'),
    policy: obj({ id: str, name: described(strOrNull, 'Null when the policy was deleted meanwhile.') }),
    paused: bool,
    lastGoodPointAt: timeOrNull,
    status: oneOfStrings(RPO_STATUSES),
    ageSeconds: numOrNull,
    rpoSeconds: int,
    exceededBySeconds: num,
    feasibility: ref('VmFeasibility'),
    replication: described(
      nullable(
        obj({
          siteName: described(str, 'The DR site the policy names.'),
          state: oneOfStrings(['ok', 'lagging', 'failing', 'site-not-paired'], 'site-not-paired: the policy names a site this server is not paired with, and nothing is replicated.'),
          lagSeconds: described(numOrNull, 'Age of the newest restore point the DR site holds; null before the first replication.'),
          rpoMet: described(bool, "Whether the DR site's copy is within the policy's RPO."),
        }),
      ),
      "The VM's copy at the DR site; null when its policy names no replication site.",
    ),
  }),
  CompliancePage: pageOf(ref('VmCompliance')),

  JobTarget: jobTarget,
  JobProgress: jobProgress,
  JobLogLine: jobLogLine,
  Job: obj(jobMembers),
  JobDetail: obj({ ...jobMembers, log: obj({ lines: nonNegative, dropped: nonNegative, tail: arrayOf(ref('JobLogLine'), { description: 'The last 50 lines.' }) }) }),
  JobPage: pageOf(ref('Job')),
  JobAccepted: obj(
    {
      job: ref('Job'),
      created: described(bool, 'False: the job of the same kind already queued or running for the target.'),
      attachmentId: described({ type: 'string', pattern: UUID }, 'Clone and attach only: the attachment being made.'),
    },
    { optional: ['attachmentId'], description: 'The job that does what was asked; follow it at /api/v1/jobs/{id}.' },
  ),
  JobEvent: {
    description: "The data of one server-sent event; the event's `event:` line is its type and its `id:` line its seq.",
    oneOf: [
      obj({ ...jobEventBase, type: { const: 'state' }, job: ref('Job') }),
      obj({ ...jobEventBase, type: { const: 'snapshot' }, job: ref('Job') }, { description: 'The whole job, when the events missed can no longer be replayed.' }),
      obj({ ...jobEventBase, type: { const: 'phase' }, phase: str }),
      obj({ ...jobEventBase, type: { const: 'progress' }, progress: ref('JobProgress') }),
      obj({ ...jobEventBase, type: { const: 'log' }, line: ref('JobLogLine') }),
      obj({ seq: nonNegative, at: time, jobId: { type: 'null' }, type: { const: 'resync' } }, { description: 'Events of unknown jobs were missed: reload the list.' }),
    ],
  },

  PointDisk: pointDisk,
  RestorePoint: obj(pointMembers),
  RestorePointDetail: obj({ ...pointMembers, configuration: described(nullable(ref('VmConfiguration')), 'Null when the stored manifest cannot be read.') }),
  VmConfiguration: configuration,
  RestorePointPage: pageOf(ref('RestorePoint')),
  PublicationRequest: obj({ folder: described(str, "The folder's name in the export (default <vm>-<point id>).") }, { optional: ['folder'] }),
  Publication: obj({
    id: str,
    pointId: str,
    vmName: str,
    folder: str,
    path: described(str, 'The folder as NFS clients mount it: <export path>/<folder>.'),
    createdAt: time,
    disks: { type: 'array', items: obj({ index: int, capacityBytes: int, descriptor: described(str, 'The VMDK descriptor file in the folder.'), flatExtent: described(str, "The flat extent: the disk's bytes.") }) },
  }),
  PublicationList: obj({ items: { type: 'array', items: ref('Publication') } }),
  InstantRevertRequest: obj({ pointId, powerOff: ref('PowerOffConfirmation') }, { optional: ['powerOff'] }),
  VmInstantRevert: obj({
    vm: ref('VmRef'),
    active: described(bool, 'Whether the VM runs from a restore point (or is being moved home or put back).'),
    pointId: nullable(pointId),
    state: described(nullable(oneOfStrings(['starting', 'running', 'migrating', 'cancelling'])), "running: from the point on Lifeline's NFS datastore; migrating: being made permanent."),
    createdAt: timeOrNull,
    job: described(
      nullable(obj({ id: str, operation: oneOfStrings(['revert', 'commit', 'cancel']), state: oneOfStrings(JOB_STATES), bytesDone: num, bytesTotal: numOrNull })),
      "The instant-revert job working on the VM now, with its progress in bytes of the VM's disks (during make permanent: the relocation's).",
    ),
    disks: arrayOf(
      obj({
        pointDisk: int,
        publishedFile: described(str, 'The disk the VM runs from, on the NFS datastore.'),
        setAsideFile: described(str, "The VM's own disk, kept aside until the revert is made permanent (then deleted) or cancelled (then put back)."),
        capacityBytes: int,
      }),
    ),
  }),
  RetentionRequest: obj({ retainUntil: described(time, 'Later than the point\'s retain-until, at most 10 years ahead.') }, { open: true }),
  DownloadTicketRequest: obj({ format: oneOfStrings(['raw', 'vmdk']) }),
  DownloadTicket: obj({
    url: { type: 'string', pattern: '^/api/v1/downloads/[A-Za-z0-9_-]+$', description: 'Server-relative; needs no session.' },
    expiresAt: described(time, 'The link must be followed before then.'),
    resumableForSeconds: described(int, 'Once begun, how long the link serves the same download again.'),
  }),

  RevertDisk: obj({ pointDisk: int, label: str, restoredFile: str, setAsideFile: described(str, "The VM's own disk, kept aside while the revert is temporary.") }),
  VmRevert: obj({
    vm: ref('VmRef'),
    reverted: bool,
    pointId: nullable(pointId),
    state: nullable(oneOfStrings(['restoring', 'swapping', 'reverted', 'cancelling', 'committing'])),
    revertedAt: timeOrNull,
    jobId: strOrNull,
    disks: arrayOf(ref('RevertDisk')),
  }),
  RevertRequest: obj({ pointId, powerOff: ref('PowerOffConfirmation'), source: ref('PointSource') }, { optional: ['powerOff', 'source'] }),
  PointSource: described(
    oneOfStrings(['local', 'object-storage']),
    "Where the restore point is read from: the local store (the default) or the store's copy on object storage (a policy's copyToObjectStorage; the server's copyS3), e.g. once the point was pruned locally.",
  ),
  CancelRevertRequest: obj({ powerOff: ref('PowerOffConfirmation') }, { optional: ['powerOff'] }),
  PowerOffConfirmation: described(bool, 'True confirms that the VM may be powered off for the change; without it a running VM is refused (409 conflict).'),
  EmptyRequest: obj({}),
  InstantiateRequest: obj(
    {
      name: { type: 'string', minLength: 1 },
      datastore: strOrNull,
      folder: strOrNull,
      resourcePool: strOrNull,
      host: strOrNull,
      networks: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, description: 'Source network name → target network name.' },
      powerOn: bool,
      source: ref('PointSource'),
    },
    { optional: ['datastore', 'folder', 'resourcePool', 'host', 'networks', 'powerOn', 'source'] },
  ),
  AttachRequest: obj(
    {
      vm: described(str, 'The VM to attach the clones to: its urn or moref.'),
      disks: nullable(arrayOf(int, { minItems: 1 })),
      datastore: strOrNull,
      source: ref('PointSource'),
    },
    { optional: ['disks', 'datastore', 'source'] },
  ),
  AttachedDisk: obj({ pointDisk: int, label: str, file: str, capacity: nonNegative, deviceKey: intOrNull, controllerKey: intOrNull, unitNumber: intOrNull }),
  Attachment: obj({
    id: { type: 'string', pattern: UUID },
    vm: ref('VmRef'),
    pointId,
    state: oneOfStrings(['uploading', 'attaching', 'attached', 'detaching']),
    jobId: str,
    folder: str,
    disks: arrayOf(ref('AttachedDisk')),
    createdAt: time,
    updatedAt: time,
  }),
  AttachmentList: obj({ items: arrayOf(ref('Attachment')), total: nonNegative }),
  InstantInstanceRequest: obj(
    {
      name: { type: 'string', minLength: 1 },
      datastore: described(strOrNull, "For the VM's configuration files; default the point's VM's."),
      folder: strOrNull,
      resourcePool: strOrNull,
      host: strOrNull,
      networks: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, description: 'Source network name → target network name.' },
      powerOn: bool,
    },
    { optional: ['datastore', 'folder', 'resourcePool', 'host', 'networks', 'powerOn'] },
  ),
  InstantAttachRequest: obj({ vm: described(str, 'The VM to attach the disks to: its urn or moref.'), disks: nullable(arrayOf(int, { minItems: 1 })) }, { optional: ['disks'] }),
  InstantMigrateRequest: obj({ datastore: described(str, "A datastore of the VM's datacenter.") }),
  InstantMigrationTargets: obj({
    items: arrayOf(obj({ name: str, capacityBytes: nullable(nonNegative), freeBytes: nullable(nonNegative) })),
  }),
  InstantAccepted: obj(
    { job: ref('Job'), created: described(bool, 'False: the job of the same kind already queued or running for the target.'), runId: described({ type: 'string', pattern: UUID }, 'The instant recovery the job works on.') },
    { description: 'The instant-recovery job; follow it at /api/v1/jobs/{id}, the instant recovery at /api/v1/instant-recoveries/{runId}.' },
  ),
  InstantRecovery: obj({
    id: { type: 'string', pattern: UUID },
    kind: oneOfStrings(['new-instance', 'attach']),
    vm: described(nullable(ref('VmRef')), 'The new VM (null until made) or the VM the disks are attached to.'),
    vmName: str,
    pointId,
    state: oneOfStrings(['starting', 'running', 'migrating', 'discarding']),
    jobId: strOrNull,
    disks: arrayOf(
      obj({
        pointDisk: int,
        capacity: nonNegative,
        file: described(strOrNull, 'The published disk on the NFS datastore, "[lifeline-<name>] <folder>/disk<n>.vmdk".'),
        deviceKey: intOrNull,
        controllerKey: intOrNull,
        unitNumber: intOrNull,
      }),
    ),
    createdAt: time,
    updatedAt: time,
  }),
  InstantRecoveryList: obj({ items: arrayOf(ref('InstantRecovery')), total: nonNegative }),

  AuditRecord: obj({
    id: int,
    at: time,
    user: strOrNull,
    vcenterGuid: strOrNull,
    action: described(str, "e.g. 'policy.create', 'point.export'."),
    object: described(strOrNull, "e.g. 'policy:<id>', 'vm:<vCenter UUID>:vm-42'."),
    outcome: oneOfStrings(['success', 'failure']),
    status: int,
    errorCode: strOrNull,
    requestId: str,
    details: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
  }),
  AuditPage: pageOf(ref('AuditRecord')),

  StorageFigures: obj(
    {
      points: nonNegative,
      vms: nonNegative,
      logicalBytes: nonNegative,
      dataBytes: nonNegative,
      storedBytes: nonNegative,
      savedBytes: nonNegative,
      dedupRatio: { type: 'number', minimum: 0 },
      compressionRatio: { type: 'number', minimum: 0 },
      dataAddedPerDay: arrayOf(obj({ day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, newBytes: nonNegative, points: nonNegative }), {
        description: 'The last 30 UTC days, oldest first.',
      }),
      asOf: time,
      capacity: described(nullable(obj({ totalBytes: nonNegative, freeBytes: nonNegative, reserveBytes: nonNegative })), 'Null when the storage has no fixed bound.'),
      storage: described(
        obj(
          {
            kind: oneOfStrings(['directory', 'object-storage'], 'A directory on this server, or an S3-compatible bucket (no fixed capacity).'),
            location: described(str, 'For object storage: s3://bucket/prefix and the endpoint; never credentials.'),
            lockMode: oneOfStrings(['compliance', 'none'], "For object storage: COMPLIANCE-mode Object Lock enforced by the storage server, or none (the bucket has no Object Lock)."),
          },
          { optional: ['location', 'lockMode'] },
        ),
        'What the store keeps its objects on.',
      ),
    },
    { optional: ['capacity', 'storage'] },
  ),

  ServerSettings: obj({
    version: str,
    dataDir: str,
    storeDir: strOrNull,
    storeEncrypted: nullable(bool),
    passphraseInDataDir: bool,
    vcenters: arrayOf(obj({ guid: str, url: str, user: str, thumbprint: str })),
    sessionIdleSeconds: num,
    jobLimits: obj({ global: int, perKeyClass: { type: 'object', additionalProperties: int }, queued: int }, { optional: ['perKeyClass'] }),
    serverUrl: str,
    certificateThumbprint: str,
    maintenance: nullable(obj({ enabled: bool, at: { type: 'string', pattern: '^\\d{2}:\\d{2}$' }, verifyPercent: num, nextRunAt: timeOrNull })),
    warnings: arrayOf(str),
  }),
  NotificationChannel: obj(
    {
      id: str,
      name: str,
      kind: oneOfStrings(['webhook', 'syslog', 'vcenter', 'email']),
      enabled: bool,
      filter: ref('NotificationFilter'),
      settings: { oneOf: [ref('WebhookSettings'), ref('SyslogSettings'), ref('VcenterSettings'), ref('EmailSettings')] },
      secretSet: described(bool, 'Whether a secret is stored; the secret itself is never answered.'),
      createdAt: time,
      updatedAt: time,
      deliveries: obj({ pending: nonNegative, delivered: nonNegative, dead: described(nonNegative, 'Given up after the last attempt.') }),
    },
    { description: 'Where events go, and which.' },
  ),
  NotificationChannelList: obj({ items: arrayOf(ref('NotificationChannel')) }),
  NotificationChannelInput: obj(
    {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      kind: oneOfStrings(['webhook', 'syslog', 'vcenter', 'email']),
      enabled: { type: 'boolean', default: true },
      filter: ref('NotificationFilter'),
      settings: { oneOf: [ref('WebhookSettings'), ref('SyslogSettings'), ref('VcenterSettings'), ref('EmailSettings')] },
      secret: described(
        { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$', writeOnly: true },
        'Webhooks: the Standard Webhooks signing secret (whsec_ and the base64 of 24 to 64 random bytes). Required when a webhook is created; on replace, omit it to keep the stored one. Never answered.',
      ),
    },
    { optional: ['enabled', 'filter', 'secret'] },
  ),
  NotificationFilter: obj(
    {
      types: arrayOf({ type: 'string', pattern: '^[a-z]+(\\.[a-z-]+|\\.\\*)$' }, { maxItems: 100, description: 'Event types, or a family as backup.*; empty: all.' }),
      minSeverity: oneOfStrings(['info', 'warning', 'error', 'critical']),
    },
    { optional: ['types', 'minSeverity'] },
  ),
  WebhookSettings: obj(
    {
      url: described({ type: 'string', pattern: '^https://' }, 'Where the signed JSON is POSTed.'),
      caPem: described(strOrNull, 'PEM certificates to trust for this receiver besides the system CAs.'),
      exportLinks: described(
        { type: 'boolean' },
        'Whether point.created events to this webhook carry data.exportLinks: for each disk of the new point a raw and a VMDK download URL (single-purpose, to be first used within 60 seconds). Default false.',
      ),
    },
    { optional: ['caPem', 'exportLinks'] },
  ),
  SyslogSettings: obj(
    {
      transport: oneOfStrings(['udp', 'tcp', 'tls']),
      host: str,
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      caPem: described(strOrNull, 'tls: PEM certificates to trust besides the system CAs.'),
    },
    { optional: ['caPem'] },
  ),
  VcenterSettings: obj({}, { description: "vCenter channels post each event on its VM in the VM's vCenter; nothing to set." }),
  EmailSettings: obj(
    {
      host: str,
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      security: oneOfStrings(['tls', 'starttls', 'none'], 'tls: TLS from the start (465); starttls: the server must upgrade (587); none: a local relay.'),
      user: described(strOrNull, 'SMTP user; null: no authentication.'),
      passwordFile: described(strOrNull, 'Absolute path of a file on the Lifeline server (mode 0600) holding the SMTP password.'),
      from: str,
      to: arrayOf(str, { minItems: 1, maxItems: 50 }),
      caPem: described(strOrNull, 'PEM certificates to trust besides the system CAs.'),
      dailySummaryAt: described(nullable({ type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }), 'A summary mail once a day at this UTC time; null: none.'),
    },
    { optional: ['user', 'passwordFile', 'caPem', 'dailySummaryAt'] },
  ),
  VmEventList: obj({
    items: arrayOf(
      obj(
        {
          id: described(str, 'Stable; a webhook receiver gets it as webhook-id.'),
          type: described(str, 'e.g. backup.failed, rpo.violated.'),
          severity: oneOfStrings(['info', 'warning', 'error', 'critical']),
          at: time,
          message: str,
          jobId: strOrNull,
          pointId: strOrNull,
        },
        { description: 'An event Lifeline recorded about the VM.' },
      ),
    ),
  }),
  ChannelTestResult: obj({ delivered: bool, detail: described(str, "The receiver's answer (e.g. HTTP 204) or the error."), eventId: str }),
  DeliveryLog: obj({
    items: arrayOf(
      obj({
        id: int,
        eventId: str,
        eventType: str,
        channelId: str,
        attempt: { type: 'integer', minimum: 1 },
        at: time,
        outcome: oneOfStrings(['delivered', 'retry', 'dead']),
        detail: str,
        durationMs: nonNegative,
      }),
    ),
  }),
  MaintenanceRequest: obj(
    {
      steps: arrayOf(oneOfStrings(['retention', 'gc', 'verify']), { minItems: 1 }),
      verifyPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    },
    { optional: ['steps', 'verifyPercent'], open: true },
  ),

  ReplicationSettings: obj(
    {
      bandwidthMBps: described(numOrNull, 'MB/s (10^6 bytes); null: unlimited.'),
      window: nullable(obj({ from: hhmm, to: hhmm, bandwidthMBps: { type: 'number', exclusiveMinimum: 0 } }, { description: 'A lower limit during these hours (server local time).' })),
      retention: obj(
        { keepLast: nonNegative, daily: nonNegative, weekly: nonNegative, monthly: nonNegative },
        { description: 'The GFS rule the DR site applies to replicas.' },
      ),
      immutableDays: { type: 'integer', minimum: 0, maximum: 3650, description: 'Replicas are locked at the DR site at least this long.' },
      maxConcurrentVms: { type: 'integer', minimum: 1, maximum: 16, description: 'VMs replicating to this peer at once.' },
    },
    { description: 'How replication to the peer runs.' },
  ),
  ReplicationSettingsInput: obj(
    {
      bandwidthMBps: numOrNull,
      window: nullable(obj({ from: hhmm, to: hhmm, bandwidthMBps: num })),
      retention: obj({ keepLast: int, daily: int, weekly: int, monthly: int }, { optional: ['keepLast', 'daily', 'weekly', 'monthly'] }),
      immutableDays: int,
      maxConcurrentVms: int,
    },
    {
      optional: ['bandwidthMBps', 'window', 'retention', 'immutableDays', 'maxConcurrentVms'],
      description: 'Members left out take their defaults (unlimited, no window, keepLast 7 daily 7 weekly 4 monthly 6, 7 days immutable, 2 VMs at once), or keep their value in a change.',
    },
  ),
  LinkStats: obj({
    state: oneOfStrings(['idle', 'replicating', 'unreachable', 'refused']),
    lastContactAt: timeOrNull,
    lastError: strOrNull,
    bytesSent: described(nonNegative, 'Stored chunk bytes sent to the peer since the pairing; kept across restarts of the server.'),
    throughputBps: { type: 'number', minimum: 0, description: 'Bytes per second over the last 10 s while a replication runs; 0 when idle.' },
    backlogPoints: nonNegative,
  }),
  Peer: obj({
    id: str,
    name: str,
    thumbprint: described(str, "SHA-256 of the peer's certificate, pinned."),
    url: described(str, "https://host:port of the peer's site listener."),
    role: oneOfStrings(['source', 'target'], "The peer's role seen from here: target = this site replicates to it."),
    pairedAt: time,
    settings: ref('ReplicationSettings'),
    unpairedByPeerAt: described(timeOrNull, 'When a source site unpaired this DR site: its replicas stay here, with failover and drills from them, and its requests are refused, until the pairing is removed here. Null otherwise.'),
    link: described(nullable(ref('LinkStats')), 'Null while no replication has run with the peer.'),
  }),
  SitesOverview: obj({
    self: obj({ name: str, siteUrl: described(str, "https://host:port of this site's listener."), thumbprint: str }),
    peers: arrayOf(ref('Peer')),
  }),
  PairingCode: obj({
    code: described(str, 'Shown once; 26 letters and digits in groups of four.'),
    expiresAt: time,
    thumbprint: described(str, "This site's certificate thumbprint, to confirm at the other site."),
    siteUrl: str,
  }),
  SiteProbeRequest: obj({ url: described(str, "https://host:port of the other site's listener.") }),
  SiteProbe: obj({ name: str, thumbprint: described(str, 'SHA-256 of the certificate the address presented.'), url: str }),
  PairRequest: obj({
    url: str,
    thumbprint: described(str, 'The DR site\'s thumbprint, as shown with its pairing code.'),
    code: str,
    settings: ref('ReplicationSettingsInput'),
  }),
  SitePatch: obj({ settings: ref('ReplicationSettingsInput') }),
  ResourceMappings: obj(
    {
      vcenterGuid: described(strOrNull, "This site's vCenter the VMs are recovered into; null: the only one it serves."),
      networks: described(nameMap, "Source network name → this site's network name."),
      datastores: described(nameMap, "Source datastore name → this site's datastore name (a VM's files go to the mapping of its configuration file's datastore)."),
      testNetworks: described(nameMap, "Source network name → this site's isolated network, used only by test failovers."),
      folder: described(strOrNull, "This site's VM folder (moref) for recovered VMs; null: the datacenter's VM folder."),
      resourcePool: described(strOrNull, "This site's resource pool (moref); null: the root pool of the datacenter's first compute resource."),
    },
    { description: "A pairing's resource mappings, kept at the DR site." },
  ),
  ResourceMappingsInput: obj(
    { vcenterGuid: strOrNull, networks: nameMap, datastores: nameMap, testNetworks: nameMap, folder: strOrNull, resourcePool: strOrNull },
    { optional: ['vcenterGuid', 'networks', 'datastores', 'testNetworks', 'folder', 'resourcePool'], description: 'The whole mappings: members left out are empty (null).' },
  ),
  SiteMappings: obj({ mappings: ref('ResourceMappings'), updatedAt: described(timeOrNull, 'Null: never set.') }),
  SiteMappingsSaved: obj({
    mappings: ref('ResourceMappings'),
    updatedAt: time,
    unused: described(arrayOf(str), 'Source names mapped that no replicated VM uses (e.g. "network VM Netwrk"): a likely typo, stored all the same.'),
  }),
  MappingTargets: obj({
    vcenterGuid: described(str, 'The vCenter the VMs are recovered into.'),
    networks: described(arrayOf(str), 'Its network names.'),
    datastores: described(arrayOf(str), 'Its datastore names.'),
    folders: described(arrayOf(obj({ moref: str, name: str })), "Its datacenters' VM folders."),
  }),
  MissingMapping: obj({ kind: oneOfStrings(['network', 'datastore', 'test-network']), source: described(str, "The source site's name that has no mapping.") }),
  ReplicatedVm: obj({
    vm: obj({ id: described(str, "The VM's id at the source site: <vCenter UUID>:<moref>."), name: str }),
    points: nonNegative,
    latestPoint: nullable(obj({ id: str, createdAt: time })),
    lagSeconds: described(intOrNull, "Now − the latest point's time: what a disaster failover now would lose."),
    missing: obj({ failover: arrayOf(ref('MissingMapping')), test: arrayOf(ref('MissingMapping')) }, { description: 'What a failover and a test failover lack of the mappings; empty: ready.' }),
  }),
  ReplicatedVmList: obj({ items: arrayOf(ref('ReplicatedVm')) }),
  SiteReplicatedVm: obj({
    site: described(obj({ id: str, name: str }), 'The source site (its pairing here).'),
    vm: obj({ id: described(str, "The VM's id at the source site: <vCenter UUID>:<moref>."), name: str }),
    points: nonNegative,
    latestPoint: nullable(obj({ id: str, createdAt: time })),
    lagSeconds: described(intOrNull, "Now − the latest point's time: what a disaster failover now would lose."),
    missing: obj({ failover: arrayOf(ref('MissingMapping')), test: arrayOf(ref('MissingMapping')) }, { description: 'What a failover and a test failover lack of the mappings; empty: ready.' }),
  }),
  SiteReplicatedVmList: obj({ items: arrayOf(ref('SiteReplicatedVm')) }),
  ReplicatedPointList: obj({ items: arrayOf(obj({ id: str, createdAt: described(time, 'When the point was made at the source site.') }), { description: 'Newest first.' }) }),
  FailoverRequest: obj(
    {
      mode: oneOfStrings(['disaster', 'test', 'planned'], 'disaster: fail over for real from a point this site holds (the source site may be unreachable); planned: the source site shuts the VM down, backs it up and replicates that point, which is recovered (no data lost); test: a drill on the test networks.'),
      pointId: described(strOrNull, 'A replicated point of the VM; null or absent: the latest.'),
      name: described(strOrNull, 'The new VM\'s name; default the source VM\'s name, with "-dr-test" for a drill.'),
      keepMacAddresses: described(bool, 'Give the network cards the source VM\'s MAC addresses; default false (new ones).'),
      powerOn: described(bool, 'Default true.'),
      toolsTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'How long to wait for VMware Tools after power-on (default 300; 0: do not wait).' },
      shutdownTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'Mode planned only: how long the source site waits for the guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once).' },
    },
    { optional: ['pointId', 'name', 'keepMacAddresses', 'powerOn', 'toolsTimeoutSeconds', 'shutdownTimeoutSeconds'] },
  ),
  FailbackRequest: obj(
    {
      target: oneOfStrings(['original', 'new'], "original (default): the source site's VM, its disks replaced by the point, its identity and moref kept; new: a new VM at the source site."),
      name: described(strOrNull, 'Target new only: the new VM\'s name at the source site.'),
      powerOn: described(bool, 'Power the VM on at the source site once recovered; default true.'),
      shutdownTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'How long this site waits for the guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once).' },
    },
    { optional: ['target', 'name', 'powerOn', 'shutdownTimeoutSeconds'] },
  ),
  FailoverReport: obj({
    startedAt: timeOrNull,
    createdAt: described(timeOrNull, 'When vCenter had created the VM.'),
    poweredOnAt: timeOrNull,
    toolsReadyAt: described(timeOrNull, 'When VMware Tools first reported running; null if not within the wait.'),
    toolsWait: { ...nullable(oneOfStrings(['ready', 'timed-out', 'skipped'])), description: 'How the wait for VMware Tools ended (skipped: not powered on, or no wait asked); null before it. Absent in records made before this member existed.' },
    hook: { ...nullable(obj({ set: str, ok: bool, messages: arrayOf(str) })), description: 'The hook set run once the VM was up, and how it went; null: none run.' },
    rtoSeconds: described(numOrNull, 'From the start to Tools ready (or powered on, or created).'),
    failures: described(arrayOf(str), 'Each failure with the step it happened in.'),
    cleanedAt: described(timeOrNull, "When a drill's clean-up finished."),
    unusedOverrides: described(
      arrayOf(obj({ source: described(str, 'The source network.'), target: described(str, "This site's network the override named."), reason: oneOfStrings(['test-networks', 'no-card'], 'test-networks: a drill keeps the test networks; no-card: the point\'s VM has no network card on the source network.') })),
      "A recovery plan's network overrides for the VM that no mapping of this failover used. Absent in records made before this member existed.",
    ),
  }, { optional: ['toolsWait', 'hook', 'unusedOverrides'] }),
  Failover: obj({
    id: str,
    peerId: str,
    siteName: str,
    mode: oneOfStrings(['disaster', 'test', 'planned']),
    sourceVm: obj({ id: str, name: str }),
    pointId: str,
    pointCreatedAt: time,
    dataLossWindowSeconds: described(nonNegative, "Now − the point's time when the failover was asked for."),
    name: described(str, "The new VM's name."),
    vcenterGuid: str,
    request: obj({ datastore: str, folder: strOrNull, pool: strOrNull, networks: nameMap, powerOn: bool, keepMacAddresses: bool, toolsTimeoutSeconds: nonNegative, hookSet: described(strOrNull, 'The hook set run once the VM is up (a recovery plan\'s per-VM option).') }, { optional: ['hookSet'] }),
    state: oneOfStrings(['starting', 'up', 'failed', 'cleaning', 'cleaned']),
    jobId: strOrNull,
    cleanupJobId: strOrNull,
    vm: nullable(obj({ moref: str, instanceUuid: strOrNull })),
    report: ref('FailoverReport'),
    requestedBy: str,
    planRunId: described(strOrNull, 'The recovery plan run this failover is a step of.'),
    planned: described(
      nullable(obj({
        shutdownTimeoutSeconds: nonNegative,
        sourceJobId: described(strOrNull, "The source site's planned-migration job."),
        shutdown: described(strOrNull, "How the source VM came to be off once the source site was done: guest (VMware Tools shut it down), powered-off (after the timeout, or without Tools), was-off."),
        chunks: described(intOrNull, "Chunks of the last point, as the source site's last replication counted them."),
        chunksSent: described(intOrNull, 'Chunks that replication sent (the others were at this site already).'),
      })),
      "Mode planned only: the source site's part.",
    ),
    failback: described(
      nullable(obj({
        state: oneOfStrings(['running', 'done', 'failed'], 'done: the VM runs at the source site again and stays powered off here.'),
        target: oneOfStrings(['original', 'new']),
        name: strOrNull,
        powerOn: bool,
        shutdownTimeoutSeconds: nonNegative,
        jobId: strOrNull,
        shutdown: described(strOrNull, 'How the VM here came to be off: guest, powered-off, was-off.'),
        pointId: described(strOrNull, "The last point, made here into the replica of the source's repository."),
        chunks: described(intOrNull, "Chunks of that point."),
        chunksSent: described(intOrNull, 'Chunks sent back: those the source site lacked.'),
        bytesSent: described(intOrNull, 'Their stored bytes.'),
        sourceJobId: described(strOrNull, "The source site's failback-recovery job."),
        sourceVm: described(nullable(obj({ moref: str, name: str })), 'The VM the point runs as at the source site.'),
        failures: arrayOf(str),
        requestedBy: str,
        startedAt: time,
        endedAt: timeOrNull,
        step: described(nullable(oneOfStrings(['shutdown', 'backup', 'replicate', 'source-site'])), 'The step being taken, recorded before it is taken. After a stop of Lifeline, a failback stopped before source-site is rolled back at the next start, one at source-site is followed to the end of the source site\'s job.'),
        wasOn: described(nullable(bool), 'Whether the VM here was powered on when the failback began.'),
        backupJobId: described(strOrNull, 'The job whose last backup may have left its snapshot on the VM here (removed when the failback is rolled back).'),
        consistency: described(nullable(oneOfStrings(['application', 'crash'])), 'The last point\'s consistency: application when the guest shut down through VMware Tools (the policy\'s hook set run around the snapshot), crash when it had to be powered off.'),
      }, { optional: ['step', 'wasOn', 'backupJobId', 'consistency'] })),
      'The failback to the source site, once asked for.',
    ),
    createdAt: time,
    updatedAt: time,
  }, { optional: ['planned', 'failback'] }),
  VmFailedOver: obj({
    failedOver: described(nullable(obj({ site: obj({ id: str, name: str }), pointId: described(str, 'The last point, the one the DR site recovered.'), jobId: str, at: time })), 'Null: the VM was not failed over.'),
  }),
  FailoverList: obj({ items: arrayOf(ref('Failover')) }),
  FailoverAccepted: obj({ job: ref('Job'), created: bool, failover: ref('Failover') }, { description: 'The failover job and the failover it works on.' }),
  RecoveryPlanInput: obj(
    {
      name: str,
      siteId: described(str, 'The paired source site whose replicated VMs the plan starts.'),
      groups: arrayOf(obj({ vms: arrayOf(str, { description: 'Replicated VM ids (GET /api/v1/sites/{id}/replicated-vms).' }) }), { description: 'In order: a group starts once the one before is done.' }),
      maxParallel: { type: 'integer', minimum: 1, maximum: 16, description: 'VMs of a group started at once (default 4).' },
      toolsTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'Wait for VMware Tools after each power-on (default 300).' },
      vmOptions: ref('PlanVmOptionsMap'),
    },
    { optional: ['maxParallel', 'toolsTimeoutSeconds', 'vmOptions'] },
  ),
  PlanVmOptions: obj(
    {
      point: described(str, "A replicated point id of the VM, or 'latest' (the default)."),
      powerOn: described(bool, 'Default true.'),
      waitForTools: described(bool, 'Wait for VMware Tools after power-on; default true.'),
      toolsTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: "Overrides the plan's toolsTimeoutSeconds for this VM." },
      hookSet: described(str, "A hook set of the server's configuration (GET /api/v1/hook-sets); its post scripts run on the Lifeline server once the VM is up."),
      networks: { ...nameMap, description: "Source network name → this site's network, over the pairing's mapping; not used by drills, which keep the test networks." },
      datastore: described(str, "This site's datastore (name) for the VM's files, over the pairing's mapping."),
      folder: described(str, "This site's VM folder (moref)."),
      pool: described(str, "This site's resource pool (moref)."),
    },
    { optional: ['point', 'powerOn', 'waitForTools', 'toolsTimeoutSeconds', 'hookSet', 'networks', 'datastore', 'folder', 'pool'], description: 'Per-VM options of a recovery plan; each absent member takes its default.' },
  ),
  PlanVmOptionsMap: { type: 'object', additionalProperties: ref('PlanVmOptions'), description: 'Per-VM options by replicated VM id; every key must be a VM of the plan\'s groups.' },
  PlanRun: obj({
    id: str,
    planId: str,
    mode: oneOfStrings(['disaster', 'test', 'planned']),
    failback: ref('PlanFailback'),
    jobId: strOrNull,
    cleanupJobId: strOrNull,
    groups: arrayOf(arrayOf(str), { description: 'Failover ids, by group.' }),
    requestedBy: str,
    createdAt: time,
  }, { optional: ['failback'] }),
  PlanFailback: described(
    nullable(obj({ target: oneOfStrings(['original', 'new']), nameSuffix: strOrNull, powerOn: bool, shutdownTimeoutSeconds: int })),
    "Set on a failback run (mode planned): what it was asked; the failovers' failback parts are its report.",
  ),
  RecoveryPlan: obj({
    id: str,
    name: str,
    peerId: str,
    groups: arrayOf(obj({ vms: arrayOf(str) })),
    maxParallel: int,
    toolsTimeoutSeconds: int,
    vmOptions: ref('PlanVmOptionsMap'),
    createdAt: time,
    updatedAt: time,
    runs: described(arrayOf(obj({ id: str, planId: str, mode: oneOfStrings(['disaster', 'test', 'planned']), failback: ref('PlanFailback'), jobId: strOrNull, cleanupJobId: strOrNull, groups: arrayOf(arrayOf(str)), requestedBy: str, createdAt: time, failovers: arrayOf(arrayOf(ref('Failover'))) }, { optional: ['failback'] })), 'The last 5 runs, newest first, each with its failovers (and their reports) by group.'),
  }, { optional: ['vmOptions'] }),
  RecoveryPlanList: obj({ items: arrayOf(ref('RecoveryPlan')) }),
  PlanAccepted: obj({ job: ref('Job'), created: bool, run: ref('PlanRun') }, { description: 'The recovery-plan job and the run it works on.' }),
};
