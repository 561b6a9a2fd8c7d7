/**
 * Lifeline's wire contract: the OpenAPI 3.1 document of every route under /api/v1, served at
 * GET /api/v1/openapi.json. It is written here by hand, route by route as api/routes/*.ts answer,
 * with every status a route may answer, problem+json errors included. The API suites validate
 * every answer they receive against it, the UI's request and response types are generated from
 * it (npm run openapi:types), and the UI's test bodies are checked against it, so it cannot drift
 * from the server silently.
 */
import { SCHEMAS } from './schemas.js';
import { bool, described, obj, oneOfStrings, ref, strOrNull, type Schema } from './schema-kit.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

type Json = Readonly<Record<string, unknown>>;

/** The problem answers, by status: their names in components.responses and what they mean. */
const PROBLEMS: Readonly<Record<number, readonly [name: string, description: string]>> = {
  400: ['BadRequest', 'The request is not valid (a parameter, field, body or the lifeline-vc-guid header); `errors` lists each fault. Codes: validation, bad-request, vcenter-unknown.'],
  401: ['Unauthenticated', 'No vCenter session header, or vCenter did not accept the session (code unauthenticated).'],
  403: ['Forbidden', "The session's user lacks the Lifeline or vCenter privilege the call needs on its object (code forbidden)."],
  404: ['NotFound', 'The object named in the path does not exist (not-found, point-not-found).'],
  409: [
    'Conflict',
    'The request is sound but the state forbids it now (conflict, busy, job-finished, policy-name-taken, policy-in-use, not-protected, retention-locked, point-in-use, retention-shorten-refused, restore-vm-changed, site-paired, site-thumbprint-mismatch, …).',
  ],
  413: ['PayloadTooLarge', 'The body is larger than 1 MB (payload-too-large).'],
  415: ['UnsupportedMediaType', 'The body is not JSON in a charset the server reads (unsupported-media-type).'],
  422: ['UnprocessableContent', 'The DR site refused the pairing code: not one it issued, expired or already used; the detail says which (pairing-code-invalid).'],
  416: ['RangeNotSatisfiable', 'The Range cannot be served (range-not-satisfiable); Content-Range gives the size.'],
  500: [
    'InternalError',
    'An unexpected error (internal: quote `errorId`), or damaged backup data that the detail names (chunk-corrupt, index-invalid, manifest-invalid, catalog-unreadable, restore-*).',
  ],
  502: ['BadGateway', 'vCenter or a paired site could not be reached or answered with a fault (vcenter-unreachable, vcenter-error, vsphere-*, site-unreachable, site-error).'],
  503: ['Unavailable', 'Not possible on this server now: shutting-down, queue-full, runner-stopped, repository-busy, vcenter-not-configured, or backup-unavailable (no backup store).'],
};

/** Headers some problem answers carry. */
const PROBLEM_HEADERS: Readonly<Record<string, Json>> = {
  Unauthenticated: { 'WWW-Authenticate': { description: 'vmware-api-session-id: the scheme the API expects (RFC 9110).', schema: { type: 'string' } } },
  RangeNotSatisfiable: { 'Content-Range': { description: 'bytes */<size of the disk>', schema: { type: 'string' } } },
};

const PROBLEM_RESPONSES: Readonly<Record<string, Json>> = Object.fromEntries(
  Object.values(PROBLEMS).map(([name, description]) => [
    name,
    { description, ...(PROBLEM_HEADERS[name] ? { headers: PROBLEM_HEADERS[name] } : {}), content: { 'application/problem+json': { schema: ref('Problem') } } },
  ]),
);

function problems(statuses: readonly number[]): Record<string, Json> {
  return Object.fromEntries(
    [...new Set(statuses)].sort().map((s) => {
      const known = PROBLEMS[s];
      if (!known) throw new Error(`no problem response is defined for status ${s}`);
      return [String(s), { $ref: `#/components/responses/${known[0]}` }];
    }),
  );
}

function json(schema: Schema, description: string, headers?: Json): Json {
  return { description, content: { 'application/json': { schema } }, ...(headers ? { headers } : {}) };
}

const JOB_LOCATION = { Location: { description: 'The job: /api/v1/jobs/{id}.', schema: { type: 'string' } } };
const accepted = (what: string) => json(ref('JobAccepted'), `${what} runs as a job.`, JOB_LOCATION);
const noContent = (description: string): Json => ({ description });

/** What every call that acts with the caller's vCenter session may answer besides its own. */
const SESSION_ERRORS = [400, 401, 403, 500, 502, 503];
/** Routes that read a JSON body may meet body-parser errors too. */
const BODY_ERRORS = [413, 415];

interface Operation {
  readonly id: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: readonly Json[];
  readonly body?: Schema;
  readonly bodyMedia?: string;
  readonly ok: Readonly<Record<string, Json>>;
  /** Problem statuses beyond SESSION_ERRORS (or all of them, for a route without a session). */
  readonly errors?: readonly number[];
  readonly noSession?: boolean;
}

function op(o: Operation): Json {
  const errors = o.noSession ? (o.errors ?? []) : [...SESSION_ERRORS, ...(o.body ? BODY_ERRORS : []), ...(o.errors ?? [])];
  // Every call with a session may name its vCenter in a header.
  const params = o.noSession ? (o.params ?? []) : [...(o.params ?? []), VCENTER];
  return {
    operationId: o.id,
    tags: [o.tag],
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(o.body ? { requestBody: { required: true, content: { [o.bodyMedia ?? 'application/json']: { schema: o.body } } } } : {}),
    responses: { ...o.ok, ...problems(errors) },
    ...(o.noSession ? { security: [] } : {}),
  };
}

const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const PAGE = [param('offset'), param('limit')];
const VCENTER = param('vcenter');

const PARAMETERS: Readonly<Record<string, Json>> = {
  vmId: {
    name: 'vmId',
    in: 'path',
    required: true,
    description: "The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured.",
    schema: { type: 'string' },
  },
  pointId: { name: 'pointId', in: 'path', required: true, description: 'A restore point id, e.g. 20250102-030405-1a2b3c4d.', schema: { type: 'string' } },
  disk: { name: 'disk', in: 'path', required: true, description: "A disk number of the restore point (its disks[].index).", schema: { type: 'integer', minimum: 0 } },
  jobId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  policyId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  siteId: { name: 'id', in: 'path', required: true, description: 'The id of a paired site (GET /api/v1/sites).', schema: { type: 'string' } },
  replicatedVmId: { name: 'vmId', in: 'path', required: true, description: "A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded.", schema: { type: 'string' } },
  failoverId: { name: 'fid', in: 'path', required: true, description: 'A failover id (GET /api/v1/failovers).', schema: { type: 'string' } },
  planId: { name: 'pid', in: 'path', required: true, description: 'A recovery plan id (GET /api/v1/recovery-plans).', schema: { type: 'string' } },
  attachmentId: { name: 'attachmentId', in: 'path', required: true, schema: { type: 'string' } },
  runId: { name: 'runId', in: 'path', required: true, description: 'An instant recovery id (GET /api/v1/instant-recoveries).', schema: { type: 'string' } },
  channelId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  offset: { name: 'offset', in: 'query', description: 'Items to skip.', schema: { type: 'integer', minimum: 0, default: 0 } },
  limit: { name: 'limit', in: 'query', description: 'Items per page.', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  vcenter: {
    name: 'lifeline-vc-guid',
    in: 'header',
    description: 'The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it.',
    schema: { type: 'string' },
  },
  lastEventId: {
    name: 'Last-Event-ID',
    in: 'header',
    description: 'Resume after this event (its id); events missed are replayed, or a snapshot/resync is sent when they no longer can be.',
    schema: { type: 'string', pattern: '^\\d{1,15}$' },
  },
  lastEventIdQuery: { name: 'lastEventId', in: 'query', description: 'The same as Last-Event-ID, for clients that cannot set headers.', schema: { type: 'string' } },
  source: {
    name: 'source',
    in: 'query',
    description: "Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally).",
    schema: { type: 'string', enum: ['local', 'object-storage'], default: 'local' },
  },
  range: { name: 'Range', in: 'header', description: 'One byte range, bytes=first-last | first- | -suffix.', schema: { type: 'string' } },
  ifRange: { name: 'If-Range', in: 'header', description: 'The ETag of the copy held; another sends the whole disk.', schema: { type: 'string' } },
};

const eventStream = (description: string): Json => ({
  description: `${description} A text/event-stream: \`retry:\` first, then one event per job change (\`id:\` its seq, \`event:\` its type, \`data:\` a JobEvent), and a comment line as heartbeat.`,
  content: { 'text/event-stream': { schema: { type: 'string', description: 'Server-sent events whose data is a JobEvent.' } } },
});

const binary: Json = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };
const diskBytes = (what: string, ranges: boolean): Record<string, Json> => ({
  '200': {
    description: `${what}, as an attachment (Content-Disposition names the file).`,
    headers: { ETag: { schema: { type: 'string' } }, 'Last-Modified': { schema: { type: 'string' } }, 'Content-Disposition': { schema: { type: 'string' } } },
    content: { 'application/octet-stream': binary },
  },
  ...(ranges
    ? {
        '206': {
          description: 'The byte range asked for.',
          headers: { 'Content-Range': { schema: { type: 'string' } } },
          content: { 'application/octet-stream': binary },
        },
      }
    : {}),
});

const rawDescription =
  "A disk's raw image. One byte range may be asked for (Range; 206 with Content-Range). A damaged point is answered 500 naming the point, disk and chunk while no byte has gone out; after that the connection is cut, never a truncated body passed off as whole.";
const vmdkDescription = 'A disk as a stream-optimized VMDK (chunked; no ranges). Damaged points are answered as for the raw image.';

function rawOps(id: string, summary: string, params: readonly Json[], extra: Partial<Operation>): Json {
  const base: Operation = { id, tag: 'Export', summary, description: rawDescription, params: [...params, param('range'), param('ifRange')], ok: diskBytes('The whole disk', true), errors: [404, 416], ...extra };
  return { get: op(base), head: op({ ...base, id: `${id}Head`, summary: `${summary} (headers only)` }) };
}

const PATHS: Readonly<Record<string, Json>> = {
  '/api/v1/health': {
    get: op({ id: 'getHealth', tag: 'Server', summary: 'Whether the server answers', description: 'Needs no session; says nothing about vCenters, users or backups.', ok: { '200': json(ref('Health'), 'The server runs.') }, noSession: true }),
  },
  [OPENAPI_PATH]: {
    get: op({
      id: 'getOpenApiDocument',
      tag: 'Server',
      summary: 'This document',
      description: 'Needs no session: the contract is public, what it describes is not.',
      ok: { '200': json({ type: 'object' }, 'The OpenAPI 3.1 document of /api/v1.') },
      noSession: true,
    }),
  },
  '/api/v1/vcenters': {
    get: op({
      id: 'listVcenters',
      tag: 'Server',
      summary: "The vCenter of the caller's session, by name",
      description: 'The vCenter the session is for (named by lifeline-vc-guid, or the only one configured), with the host name of its configured URL as its name. A session vCenter accepts; no privilege.',
      ok: { '200': json(ref('VcenterList'), 'The vCenters.') },
    }),
  },
  '/api/v1/vms': {
    get: op({ id: 'listVms', tag: 'VMs', summary: "The vCenter's VMs as the caller sees them", description: 'System.Read on the inventory root; sorted by name, then moref.', params: PAGE, ok: { '200': json(ref('VmPage'), 'A page of VMs.') } }),
  },
  '/api/v1/capabilities': {
    get: op({ id: 'getRootCapabilities', tag: 'VMs', summary: 'What the caller may do at the inventory root', description: "System.Read on the inventory root of the session's vCenter; the same answer as a VM's, for the root.", ok: { '200': json(ref('VmCapabilities'), 'The capabilities.') } }),
  },
  '/api/v1/vms/{vmId}/capabilities': {
    get: op({ id: 'getVmCapabilities', tag: 'VMs', summary: 'What the caller may do on the VM', description: 'System.Read on the VM.', params: [param('vmId')], ok: { '200': json(ref('VmCapabilities'), 'The capabilities.') } }),
  },
  '/api/v1/hook-sets': {
    get: op({ id: 'listHookSets', tag: 'Policies', summary: 'Hook sets a policy may choose', description: "Names only, never commands. System.Read on the inventory root.", params: PAGE, ok: { '200': json(ref('HookSetPage'), 'A page of hook set names.') } }),
  },
  '/api/v1/policies': {
    get: op({ id: 'listPolicies', tag: 'Policies', summary: 'Protection policies', description: 'System.Read on the inventory root.', params: PAGE, ok: { '200': json(ref('PolicyPage'), 'A page of policies.') } }),
    post: op({
      id: 'createPolicy',
      tag: 'Policies',
      summary: 'Create a policy',
      description: "Lifeline's Admin privilege on the inventory root. A 400 lists every field at fault.",
      body: ref('PolicySpec'),
      ok: { '201': json(ref('Policy'), 'The policy created.', { Location: { schema: { type: 'string' } } }) },
      errors: [409],
    }),
  },
  '/api/v1/policies/{id}': {
    parameters: [param('policyId')],
    get: op({ id: 'getPolicy', tag: 'Policies', summary: 'One policy', ok: { '200': json(ref('Policy'), 'The policy.') }, errors: [404] }),
    put: op({ id: 'replacePolicy', tag: 'Policies', summary: 'Replace a policy', description: "Lifeline's Admin privilege.", body: ref('PolicySpec'), ok: { '200': json(ref('Policy'), 'The policy as saved.') }, errors: [404, 409] }),
    patch: op({
      id: 'patchPolicy',
      tag: 'Policies',
      summary: 'Change some fields of a policy',
      description: "An RFC 7396 merge patch (application/merge-patch+json or application/json). Lifeline's Admin privilege.",
      body: ref('PolicyPatch'),
      bodyMedia: 'application/merge-patch+json',
      ok: { '200': json(ref('Policy'), 'The policy as saved.') },
      errors: [404, 409],
    }),
    delete: op({ id: 'deletePolicy', tag: 'Policies', summary: 'Delete a policy', description: "Refused while VMs use it (409 policy-in-use). Lifeline's Admin privilege.", ok: { '204': noContent('Deleted.') }, errors: [404, 409] }),
  },
  '/api/v1/vms/{vmId}/protection': {
    parameters: [param('vmId')],
    get: op({ id: 'getVmProtection', tag: 'Protection', summary: "A VM's policy, schedule and RPO compliance", description: 'System.Read on the VM.', ok: { '200': json(ref('VmProtection'), 'The protection.') } }),
    put: op({
      id: 'assignPolicy',
      tag: 'Protection',
      summary: 'Assign a policy to the VM',
      description: "Lifeline's Protect privilege on the VM.",
      body: ref('ProtectionAssignment'),
      ok: { '200': json(ref('VmProtection'), 'The VM had a policy; it now has this one.'), '201': json(ref('VmProtection'), 'The VM is now protected.') },
    }),
    delete: op({ id: 'unassignPolicy', tag: 'Protection', summary: 'Remove the VM\'s protection', description: "Lifeline's Protect privilege; 409 not-protected when it has none.", ok: { '204': noContent('Removed.') }, errors: [409] }),
  },
  '/api/v1/vms/{vmId}/replication': {
    parameters: [param('vmId')],
    get: op({
      id: 'getVmReplication',
      tag: 'Protection',
      summary: "The VM's replication to its policy's DR site",
      description: 'System.Read on the VM. The last replicated restore point, the lag (RPO achieved at the DR site) and whether the policy\'s RPO is met there.',
      ok: { '200': json(ref('VmReplication'), 'The replication state.') },
    }),
  },
  '/api/v1/vms/{vmId}/failed-over': {
    parameters: [param('vmId')],
    get: op({
      id: 'getVmFailedOver',
      tag: 'Disaster recovery',
      summary: 'Whether the VM was failed over to its DR site by a planned migration (at the source site)',
      description: 'System.Read on the VM. While marked, this site does not back the VM up and "back up now" refuses it (409 vm-paused).',
      ok: { '200': json(ref('VmFailedOver'), 'The mark, or null.') },
    }),
    delete: op({
      id: 'clearVmFailedOver',
      tag: 'Disaster recovery',
      summary: 'Clear the "failed over" mark: this site protects the VM again',
      description: "Lifeline's Admin privilege on the VM. 404 when the VM is not marked.",
      ok: { '204': noContent('Cleared.') },
      errors: [404],
    }),
  },
  '/api/v1/vms/{vmId}/events': {
    parameters: [param('vmId')],
    get: op({
      id: 'listVmEvents',
      tag: 'Protection',
      summary: "The VM's recent events, newest first",
      description: 'System.Read on the VM. Every event Lifeline recorded about the VM (backup, RPO, restore outcomes), whichever notification channels are configured.',
      params: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }],
      ok: { '200': json(ref('VmEventList'), 'The events.') },
    }),
  },
  '/api/v1/vms/{vmId}/backup': {
    post: op({
      id: 'backUpNow',
      tag: 'Protection',
      summary: 'Back up now',
      description: "Lifeline's Protect privilege on the VM. A backup already queued or running is returned (created false); another job on the VM is 409 busy.",
      params: [param('vmId')],
      ok: { '202': accepted('The backup') },
      errors: [409],
    }),
  },
  '/api/v1/compliance': {
    get: op({
      id: 'listCompliance',
      tag: 'Protection',
      summary: 'RPO compliance of every protected VM',
      description: 'System.Read on the inventory root.',
      params: [...PAGE, { name: 'status', in: 'query', schema: { type: 'string', enum: ['compliant', 'at-risk', 'violated'] } }],
      ok: { '200': json(ref('CompliancePage'), 'A page of protected VMs.') },
    }),
  },
  '/api/v1/jobs': {
    get: op({
      id: 'listJobs',
      tag: 'Jobs',
      summary: 'Jobs, newest first',
      description: 'System.Read on the inventory root. At most 500 per page.',
      params: [
        param('offset'),
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        { name: 'state', in: 'query', description: 'One or more states, separated by commas.', schema: { type: 'string' } },
        { name: 'kind', in: 'query', schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' } },
        { name: 'target', in: 'query', description: 'A VM id: jobs on that VM.', schema: { type: 'string' } },
      ],
      ok: { '200': json(ref('JobPage'), 'A page of jobs.') },
    }),
  },
  '/api/v1/jobs/{id}': {
    get: op({ id: 'getJob', tag: 'Jobs', summary: 'One job, with the last lines of its log', description: "System.Read on the job's VM, else the inventory root.", params: [param('jobId')], ok: { '200': json(ref('JobDetail'), 'The job.') }, errors: [404] }),
  },
  '/api/v1/jobs/{id}/cancel': {
    post: op({
      id: 'cancelJob',
      tag: 'Jobs',
      summary: 'Cancel a job',
      description: 'The privilege of its kind (backup: Protect, restore: Restore, else Admin).',
      params: [param('jobId')],
      ok: { '200': json(ref('Job'), 'The job has ended.'), '202': json(ref('Job'), 'Cancelling: the job ends once its work has cleaned up.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/jobs/{id}/events': {
    get: op({
      id: 'streamJobEvents',
      tag: 'Jobs',
      summary: "One job's events",
      description: 'Ends once the job has ended (and cleaned up).',
      params: [param('jobId'), param('lastEventId'), param('lastEventIdQuery')],
      ok: { '200': eventStream('The job\'s events.') },
      errors: [404],
    }),
  },
  '/api/v1/events': {
    get: op({ id: 'streamEvents', tag: 'Jobs', summary: "Every job's events", description: 'System.Read on the inventory root.', params: [param('lastEventId'), param('lastEventIdQuery')], ok: { '200': eventStream('All jobs\' events.') } }),
  },
  '/api/v1/vms/{vmId}/points': {
    get: op({ id: 'listVmPoints', tag: 'Restore points', summary: "A VM's restore points, newest first", description: 'System.Read on the VM.', params: [param('vmId'), param('source'), ...PAGE], ok: { '200': json(ref('RestorePointPage'), 'A page of restore points.') } }),
  },
  '/api/v1/points/{pointId}': {
    parameters: [param('pointId')],
    get: op({ id: 'getPoint', tag: 'Restore points', summary: 'One restore point with its stored VM configuration', description: "System.Read on the point's VM.", params: [param('source')], ok: { '200': json(ref('RestorePointDetail'), 'The point.') }, errors: [404] }),
    delete: op({
      id: 'deletePoint',
      tag: 'Restore points',
      summary: 'Delete a restore point past its retain-until',
      description: "Lifeline's Admin privilege. 409 retention-locked before its retain-until, point-in-use while read; 503 repository-busy during maintenance.",
      ok: { '204': noContent('Deleted; its chunks go at the next garbage collection.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/publications': {
    get: op({ id: 'listPublications', tag: 'Instant recovery', summary: 'Restore points published over NFS', description: 'System.Read on the inventory root. 503 nfs-not-configured when the server has no NFS section.', ok: { '200': json(ref('PublicationList'), 'Every publication.') } }),
  },
  '/api/v1/vms/{vmId}/instant-revert': {
    parameters: [param('vmId')],
    get: op({ id: 'getInstantRevert', tag: 'Instant recovery', summary: "The VM's instant revert, if it runs from a restore point", description: 'System.Read on the VM. 503 nfs-not-configured is not answered here: a server without NFS shows no instant revert.', ok: { '200': json(ref('VmInstantRevert'), 'The instant revert, and the job working on it now.') } }),
    post: op({
      id: 'instantRevert',
      tag: 'Instant recovery',
      summary: 'Run the VM from a restore point at once (instant revert)',
      description:
        "Lifeline's Restore privilege on the VM. The point is published over NFS, the NFS datastore mounted on the VM's host, the VM's disks set aside and the published ones put in their slots, and the VM powered on; nothing is copied first. 409 conflict when the VM runs (without powerOff: true), is in a revert already or a job works on it; 503 nfs-not-configured when the server has no NFS section.",
      body: ref('InstantRevertRequest'),
      ok: { '202': accepted('The instant revert') },
      errors: [404, 409],
    }),
  },
  '/api/v1/vms/{vmId}/instant-revert/commit': {
    post: op({
      id: 'commitInstantRevert',
      tag: 'Instant recovery',
      summary: 'Make an instant revert permanent: move the disks to production storage while the VM runs',
      description: "Lifeline's Restore privilege on the VM. Storage vMotion (RelocateVM_Task) of each disk to the datastore of the disk it replaced, whose progress the job reports; then the set-aside disks are deleted and the point unpublished. A cancel of the job while vCenter moves the disks cancels vCenter's relocation task: on RequestCanceled the VM runs on from the backup (state running) and the job ends cancelled; when vCenter finished first, the job completes. 404 when the VM is in no instant revert; 503 nfs-not-configured.",
      params: [param('vmId')],
      body: ref('EmptyRequest'),
      ok: { '202': accepted('Making it permanent') },
      errors: [404, 409],
    }),
  },
  '/api/v1/vms/{vmId}/instant-revert/cancel': {
    post: op({
      id: 'cancelInstantRevert',
      tag: 'Instant recovery',
      summary: "Cancel an instant revert: the VM's own disks back",
      description: "Lifeline's Restore privilege on the VM. The VM is powered off, its own disks go back into their slots, what it wrote while running from the point is dropped with the publication, and it is powered on again if it ran before the revert. 404 when the VM is in no instant revert; 409 while it is being made permanent; 503 nfs-not-configured.",
      params: [param('vmId')],
      body: ref('EmptyRequest'),
      ok: { '202': accepted('The cancel') },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/publication': {
    parameters: [param('pointId')],
    post: op({
      id: 'publishPoint',
      tag: 'Instant recovery',
      summary: 'Publish a restore point over NFS',
      description: "Lifeline's Restore privilege on the point's VM. 409 publication-exists when the point or the folder name is published already; 503 nfs-not-configured.",
      body: ref('PublicationRequest'),
      ok: { '201': json(ref('Publication'), 'The publication: its folder in the export.') },
      errors: [404, 409],
    }),
    delete: op({
      id: 'unpublishPoint',
      tag: 'Instant recovery',
      summary: 'Unpublish a restore point, dropping what NFS clients wrote to it',
      description: "Lifeline's Restore privilege on the point's VM. 404 publication-not-found when the point is not published; 409 publication-in-use while a VM runs from it (an instant revert, instant new instance or instant attach: the problem names the VM and the run; end that first); 503 nfs-not-configured.",
      ok: { '204': noContent('Unpublished; its overlay and the files clients created are gone.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/retention': {
    post: op({
      id: 'extendRetention',
      tag: 'Restore points',
      summary: 'Keep a restore point longer',
      description: "Lifeline's Protect privilege. Never shorter (409 retention-shorten-refused).",
      params: [param('pointId')],
      body: ref('RetentionRequest'),
      ok: { '202': accepted('The retention change') },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/disks/{disk}/raw': rawOps('exportRaw', "A disk's raw image", [param('pointId'), param('disk'), param('source')], { errors: [404, 416] }),
  '/api/v1/points/{pointId}/disks/{disk}/vmdk': (() => {
    const base: Operation = { id: 'exportVmdk', tag: 'Export', summary: 'A disk as a stream-optimized VMDK', description: vmdkDescription, params: [param('pointId'), param('disk'), param('source')], ok: diskBytes('The VMDK', false), errors: [404] };
    return { get: op(base), head: op({ ...base, id: 'exportVmdkHead', summary: `${base.summary} (headers only)` }) };
  })(),
  '/api/v1/points/{pointId}/disks/{disk}/download': {
    post: op({
      id: 'issueDownloadTicket',
      tag: 'Export',
      summary: 'A link to download one export without a session header',
      description: "Checked as the export itself (Lifeline's Restore privilege on the point's VM). The link must be followed within a minute.",
      params: [param('pointId'), param('disk')],
      body: ref('DownloadTicketRequest'),
      ok: { '201': json(ref('DownloadTicket'), 'The ticket.') },
      errors: [404],
    }),
  },
  '/api/v1/downloads/{ticket}': (() => {
    const params = [{ name: 'ticket', in: 'path', required: true, schema: { type: 'string' } }, param('range'), param('ifRange')];
    const base: Operation = {
      id: 'download',
      tag: 'Export',
      summary: 'The export a download ticket names',
      description:
        "No session header: the ticket is the proof, and at every use Lifeline checks Restore on the VM again with the session of the user it was issued to. Unknown and expired tickets, and tickets whose user's session has ended, are 404; a user who no longer holds Restore on the VM gets 403. Otherwise as the export the ticket was issued for.",
      params,
      ok: diskBytes('The export', true),
      errors: [403, 404, 416, 500, 503],
      noSession: true,
    };
    return { get: op(base), head: op({ ...base, id: 'downloadHead', summary: `${base.summary} (headers only)` }) };
  })(),
  '/api/v1/vms/{vmId}/revert': {
    parameters: [param('vmId')],
    get: op({ id: 'getRevert', tag: 'Recovery', summary: "The VM's temporary revert, if any", description: 'System.Read on the VM.', ok: { '200': json(ref('VmRevert'), 'The revert.') } }),
    post: op({
      id: 'revert',
      tag: 'Recovery',
      summary: 'Revert the VM to a restore point (temporary)',
      description: "Lifeline's Restore privilege on the VM.",
      body: ref('RevertRequest'),
      ok: { '202': accepted('The revert') },
      errors: [404, 409],
    }),
  },
  '/api/v1/vms/{vmId}/revert/cancel': {
    post: op({ id: 'cancelRevert', tag: 'Recovery', summary: 'Undo a temporary revert', description: "Lifeline's Restore privilege on the VM.", params: [param('vmId')], body: ref('CancelRevertRequest'), ok: { '202': accepted('The undo') }, errors: [404, 409] }),
  },
  '/api/v1/vms/{vmId}/revert/commit': {
    post: op({ id: 'commitRevert', tag: 'Recovery', summary: 'Make a revert permanent', description: "Lifeline's Restore privilege on the VM.", params: [param('vmId')], body: ref('EmptyRequest'), ok: { '202': accepted('Making it permanent') }, errors: [404, 409] }),
  },
  '/api/v1/points/{pointId}/instantiate': {
    post: op({
      id: 'instantiate',
      tag: 'Recovery',
      summary: 'A new VM from a restore point',
      description: "Lifeline's Restore privilege on the target folder (else the inventory root) and on the point's VM.",
      params: [param('pointId')],
      body: ref('InstantiateRequest'),
      ok: { '202': accepted('Creating the VM') },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/attach': {
    post: op({
      id: 'attach',
      tag: 'Recovery',
      summary: "Clone a point's disks and attach them to a VM",
      description: "Lifeline's Restore privilege on the point's VM and on the target VM. The answer carries the attachmentId.",
      params: [param('pointId')],
      body: ref('AttachRequest'),
      ok: { '202': accepted('The clone and attach') },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/instant-instance': {
    post: op({
      id: 'instantInstance',
      tag: 'Instant recovery',
      summary: "A new VM running at once from the restore point's disks on Lifeline's NFS datastore",
      description:
        "As instantiate: Lifeline's Restore privilege on the target folder (else the inventory root) and on the point's VM, and what vCenter demands of a user placing a VM. The datastore holds the VM's configuration files; its disks stay on the NFS datastore until migrated. 409 conflict when the point is published already; 503 nfs-not-configured.",
      params: [param('pointId')],
      body: ref('InstantInstanceRequest'),
      ok: { '202': json(ref('InstantAccepted'), 'Starting the VM runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/points/{pointId}/instant-attach': {
    post: op({
      id: 'instantAttach',
      tag: 'Instant recovery',
      summary: "Attach the restore point's disks to a VM from Lifeline's NFS datastore",
      description: "Lifeline's Restore privilege on the point's VM, Restore and VirtualMachine.Config.AddExistingDisk on the target VM. 409 conflict when the point is published already; 503 nfs-not-configured.",
      params: [param('pointId')],
      body: ref('InstantAttachRequest'),
      ok: { '202': json(ref('InstantAccepted'), 'The attach runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/instant-recoveries': {
    get: op({ id: 'listInstantRecoveries', tag: 'Instant recovery', summary: 'Instant new instances and attachments running from the NFS datastore', description: 'System.Read on the inventory root. 503 nfs-not-configured.', ok: { '200': json(ref('InstantRecoveryList'), 'All of them.') } }),
  },
  '/api/v1/instant-recoveries/{runId}': {
    get: op({ id: 'getInstantRecovery', tag: 'Instant recovery', summary: 'One instant new instance or attachment', description: 'System.Read on its VM.', params: [param('runId')], ok: { '200': json(ref('InstantRecovery'), 'It.') }, errors: [404] }),
  },
  '/api/v1/instant-recoveries/{runId}/migration-targets': {
    get: op({
      id: 'listInstantMigrationTargets',
      tag: 'Instant recovery',
      summary: 'The datastores its disks may be migrated to',
      description: "System.Read on its VM. The datastores of the VM's datacenter but Lifeline's NFS datastore, by name; a migration also needs Datastore.AllocateSpace on the one chosen.",
      params: [param('runId')],
      ok: { '200': json(ref('InstantMigrationTargets'), 'Its datacenter’s datastores.') },
      errors: [404],
    }),
  },
  '/api/v1/instant-recoveries/{runId}/migrate': {
    post: op({
      id: 'migrateInstantRecovery',
      tag: 'Instant recovery',
      summary: 'Move its disks to a production datastore while the VM runs, then drop the publication',
      description: "Lifeline's Restore privilege on its VM and Datastore.AllocateSpace on the datastore, which must be one of the VM's datacenter (400 validation otherwise).",
      params: [param('runId')],
      body: ref('InstantMigrateRequest'),
      ok: { '202': json(ref('InstantAccepted'), 'The migration runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/instant-recoveries/{runId}/discard': {
    post: op({
      id: 'discardInstantRecovery',
      tag: 'Instant recovery',
      summary: 'Remove the VM (new instance) or detach the disks (attach), and drop the publication',
      description: "Lifeline's Restore privilege on its VM. The restore point is left as it was; what the guest wrote is dropped.",
      params: [param('runId')],
      body: ref('EmptyRequest'),
      ok: { '202': json(ref('InstantAccepted'), 'The discard runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/vms/{vmId}/attachments': {
    get: op({ id: 'listAttachments', tag: 'Recovery', summary: 'Point disks attached to the VM', description: 'System.Read on the VM.', params: [param('vmId')], ok: { '200': json(ref('AttachmentList'), 'All of them.') } }),
  },
  '/api/v1/attachments/{attachmentId}': {
    parameters: [param('attachmentId')],
    get: op({ id: 'getAttachment', tag: 'Recovery', summary: 'One attachment', description: 'System.Read on its VM.', ok: { '200': json(ref('Attachment'), 'The attachment.') }, errors: [404] }),
    delete: op({ id: 'detach', tag: 'Recovery', summary: 'Detach the clones and delete them', description: "Lifeline's Restore privilege on its VM.", ok: { '202': accepted('The detach') }, errors: [404, 409] }),
  },
  '/api/v1/audit': {
    get: op({
      id: 'listAudit',
      tag: 'Server',
      summary: 'The audit log, newest first',
      description: "Lifeline's Admin privilege on the inventory root. Filters are exact (user without case).",
      params: [...PAGE, ...['user', 'object', 'action'].map((name) => ({ name, in: 'query', schema: { type: 'string', minLength: 1, maxLength: 300 } }))],
      ok: { '200': json(ref('AuditPage'), 'A page of audit records.') },
    }),
  },
  '/api/v1/storage': {
    get: op({ id: 'getStorage', tag: 'Server', summary: 'What the backup store holds and saves', description: 'System.Read on the inventory root; cached for 30 s.', ok: { '200': json(ref('StorageFigures'), 'The figures.') } }),
  },
  '/api/v1/sites': {
    get: op({ id: 'listSites', tag: 'Sites', summary: 'This site and the sites it is paired with', description: 'System.Read on the inventory root.', ok: { '200': json(ref('SitesOverview'), 'This site and its peers.') } }),
    post: op({
      id: 'pairSite',
      tag: 'Sites',
      summary: 'Pair with a DR site',
      description:
        "Lifeline's Admin privilege on every vCenter the server serves. This site becomes the source, the other the target (the DR site). The DR site's certificate must have the confirmed thumbprint (409 site-thumbprint-mismatch), the code must be valid (422 pairing-code-invalid says why not); 409 site-paired when already paired with it; 502 site-unreachable.",
      body: ref('PairRequest'),
      ok: { '201': json(ref('Peer'), 'Paired.', { Location: { description: 'The pairing: /api/v1/sites/{id}.', schema: { type: 'string' } } }) },
      errors: [409, 422],
    }),
  },
  '/api/v1/sites/pairing-codes': {
    post: op({
      id: 'allowPairing',
      tag: 'Sites',
      summary: 'Allow pairing: a one-time pairing code',
      description: "Lifeline's Admin privilege on every vCenter the server serves. The code is shown once: 128 random bits, valid 15 minutes, good for one attempt; this site keeps only a hash of it.",
      ok: { '201': json(ref('PairingCode'), 'The code, with what the other site must confirm.') },
    }),
  },
  '/api/v1/sites/probe': {
    post: op({
      id: 'probeSite',
      tag: 'Sites',
      summary: 'Who answers at a site address',
      description: "Lifeline's Admin privilege on every vCenter the server serves. The thumbprint is that of the certificate the address presents, to compare with the one the DR site shows with its code.",
      body: ref('SiteProbeRequest'),
      ok: { '200': json(ref('SiteProbe'), 'What the address presents.') },
      errors: [409],
    }),
  },
  '/api/v1/sites/{id}': {
    parameters: [param('siteId')],
    patch: op({
      id: 'updateSite',
      tag: 'Sites',
      summary: "Change a pairing's replication settings",
      description:
        "Lifeline's Admin privilege on every vCenter the server serves. Members left out keep their value. Each side changes the part it acts on: the source site bandwidthMBps, window and maxConcurrentVms, the DR site retention and immutableDays; a change to the other side's part is refused (400, naming the field).",
      body: ref('SitePatch'),
      ok: { '200': json(ref('Peer'), 'The pairing.') },
      errors: [404],
    }),
    delete: op({
      id: 'unpairSite',
      tag: 'Sites',
      summary: 'Unpair a site',
      description: "Lifeline's Admin privilege on every vCenter the server serves. Unpairs here and tells the peer, which refuses this site from then on; when the peer cannot be reached it is unpaired here all the same.",
      ok: { '204': noContent('Unpaired.') },
      errors: [404],
    }),
  },
  '/api/v1/sites/{id}/mappings': {
    parameters: [param('siteId')],
    get: op({
      id: 'getSiteMappings',
      tag: 'Disaster recovery',
      summary: "A pairing's resource mappings (at the DR site)",
      description: 'System.Read on the inventory root. 409 when the site does not replicate to this one.',
      ok: { '200': json(ref('SiteMappings'), 'The mappings.') },
      errors: [404, 409],
    }),
    put: op({
      id: 'putSiteMappings',
      tag: 'Disaster recovery',
      summary: "Set a pairing's resource mappings",
      description: "Lifeline's Admin privilege on every vCenter the server serves. Every target must exist in this site's vCenter (400 names the one that does not).",
      body: ref('ResourceMappingsInput'),
      ok: { '200': json(ref('SiteMappingsSaved'), 'Stored.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/sites/{id}/mapping-targets': {
    parameters: [param('siteId')],
    get: op({
      id: 'getMappingTargets',
      tag: 'Disaster recovery',
      summary: "What a pairing's mappings may name at this site",
      description: "System.Read on the inventory root. The networks and datastores of the vCenter the VMs are recovered into, and its datacenters' VM folders.",
      ok: { '200': json(ref('MappingTargets'), 'The targets.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/sites/{id}/replicated-vms': {
    parameters: [param('siteId')],
    get: op({
      id: 'listReplicatedVms',
      tag: 'Disaster recovery',
      summary: "The source site's VMs this site holds replicated points of",
      description: 'System.Read on the inventory root. Each with its latest point, the lag, and the mappings a failover and a drill lack.',
      ok: { '200': json(ref('ReplicatedVmList'), 'The VMs.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/sites/{id}/replicated-vms/{vmId}/points': {
    parameters: [param('siteId'), param('replicatedVmId')],
    get: op({
      id: 'listReplicatedPoints',
      tag: 'Disaster recovery',
      summary: "The replicated points of one of the source site's VMs this site holds, newest first",
      description: "System.Read on the inventory root. What a failover's pointId or a recovery plan's per-VM point may name (damaged points left out); 404 when this site holds none of the VM.",
      ok: { '200': json(ref('ReplicatedPointList'), 'The points.') },
      errors: [404, 409],
    }),
  },
  '/api/v1/replicated-vms': {
    get: op({
      id: 'listAllReplicatedVms',
      tag: 'Disaster recovery',
      summary: 'The VMs of every source site that replicates here, with their site',
      description: 'System.Read on the inventory root. Each with its site, its latest point, the lag, and the mappings a failover and a drill lack.',
      ok: { '200': json(ref('SiteReplicatedVmList'), 'The VMs.') },
    }),
  },
  '/api/v1/sites/{id}/replicated-vms/{vmId}/failover': {
    parameters: [param('siteId'), param('replicatedVmId')],
    post: op({
      id: 'failOver',
      tag: 'Disaster recovery',
      summary: 'Fail over (or test-fail over) one replicated VM',
      description:
        "Lifeline's Restore privilege on the inventory root of the vCenter the VM is recovered into. Modes disaster and test never reach the source site; mode planned asks it over the site link to shut the VM down, back it up and replicate that point, and the job recovers exactly that point (503 dr-source-unreachable when the source site cannot be reached: fail over in mode disaster; 409 dr-planned-refused when it refuses). 409 dr-mapping-missing names each mapping the VM lacks; 409 conflict when a VM of that name exists; 409 busy while another failover of the VM runs.",
      body: ref('FailoverRequest'),
      ok: { '202': json(ref('FailoverAccepted'), 'The failover runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/sites/{id}/replicated-vms/{vmId}/failback': {
    parameters: [param('siteId'), param('replicatedVmId')],
    post: op({
      id: 'failBack',
      tag: 'Disaster recovery',
      summary: 'Fail back a failed-over VM to its source site',
      description:
        "Lifeline's Restore privilege on the inventory root of the vCenter the VM was recovered into. The VM's failover that is up (not a drill) is sent back: this site shuts the VM down (VMware Tools, or power-off after shutdownTimeoutSeconds), backs it up into its replica of the source's repository as a point of the source's VM, replicates that point back (only the chunks the source lacks), and the source site recovers it onto the original VM (target original: its disks replaced, its moref kept) or as a new VM (target new), then clears its mark \"failed over\". The VM here stays powered off and its failover is marked failed back. 503 dr-source-unreachable when the source site cannot be reached, 409 dr-failback-refused when it refuses (nothing is changed either way); 404 when no failover of the VM is up here that was not failed back already; 409 busy while a failover or failback of the VM runs.",
      body: ref('FailbackRequest'),
      ok: { '202': json(ref('FailoverAccepted'), 'The failback runs as a job (kind failback); the failover carries its failback part.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/failovers': {
    get: op({ id: 'listFailovers', tag: 'Disaster recovery', summary: 'Failovers and drills at this site, newest first, with their reports', description: 'System.Read on the inventory root.', ok: { '200': json(ref('FailoverList'), 'The failovers.') } }),
  },
  '/api/v1/failovers/{fid}': {
    parameters: [param('failoverId')],
    get: op({ id: 'getFailover', tag: 'Disaster recovery', summary: 'One failover or drill with its report', description: 'System.Read on the inventory root.', ok: { '200': json(ref('Failover'), 'The failover.') }, errors: [404] }),
  },
  '/api/v1/failovers/{fid}/cleanup': {
    parameters: [param('failoverId')],
    post: op({
      id: 'cleanUpDrill',
      tag: 'Disaster recovery',
      summary: "Clean up a drill: remove its VM and the VM's folder",
      description: "Lifeline's Restore privilege on the inventory root of the drill's vCenter. 409 for a failover that is not a test, a drill still starting, failed or cleaned already.",
      ok: { '202': json(ref('FailoverAccepted'), 'The clean-up runs as a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/recovery-plans': {
    get: op({ id: 'listRecoveryPlans', tag: 'Disaster recovery', summary: 'Recovery plans at this site, with their last runs', description: 'System.Read on the inventory root.', ok: { '200': json(ref('RecoveryPlanList'), 'The plans.') } }),
    post: op({
      id: 'createRecoveryPlan',
      tag: 'Disaster recovery',
      summary: 'Create a recovery plan',
      description: "Lifeline's Admin privilege on every vCenter the server serves. Every VM must be one this site holds replicated points of; 409 when the name is taken.",
      body: ref('RecoveryPlanInput'),
      ok: { '201': json(ref('RecoveryPlan'), 'Created.', { Location: { description: 'The plan: /api/v1/recovery-plans/{pid}.', schema: { type: 'string' } } }) },
      errors: [404, 409],
    }),
  },
  '/api/v1/recovery-plans/{pid}': {
    parameters: [param('planId')],
    get: op({ id: 'getRecoveryPlan', tag: 'Disaster recovery', summary: 'One recovery plan with its last runs', description: 'System.Read on the inventory root.', ok: { '200': json(ref('RecoveryPlan'), 'The plan.') }, errors: [404] }),
    put: op({ id: 'updateRecoveryPlan', tag: 'Disaster recovery', summary: 'Replace a recovery plan', description: "Lifeline's Admin privilege on every vCenter the server serves.", body: ref('RecoveryPlanInput'), ok: { '200': json(ref('RecoveryPlan'), 'The plan.') }, errors: [404, 409] }),
    delete: op({ id: 'deleteRecoveryPlan', tag: 'Disaster recovery', summary: 'Delete a recovery plan', description: "Lifeline's Admin privilege on every vCenter the server serves; 409 while it runs. Its failovers' records stay.", ok: { '204': noContent('Deleted.') }, errors: [404, 409] }),
  },
  '/api/v1/recovery-plans/{pid}/run': {
    parameters: [param('planId')],
    post: op({
      id: 'runRecoveryPlan',
      tag: 'Disaster recovery',
      summary: 'Run a recovery plan: a drill (test), a planned migration (planned) or a failover (disaster)',
      description:
        "Lifeline's Restore privilege on the inventory root of the vCenter the VMs are recovered into. Every step is checked first (409 dr-mapping-missing, conflict for a name taken, busy while the plan runs; in mode planned 400 for a VM whose point option is not latest); then one job starts the groups in order. In mode planned each step first asks the source site (the VMs of a group together, at most maxParallel) to shut its VM down, back it up and replicate that point, and recovers exactly that point; a step whose source site cannot be reached or refuses fails, naming why.",
      body: obj(
        {
          mode: oneOfStrings(['disaster', 'test', 'planned']),
          shutdownTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'Mode planned only: how long the source site waits for each guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once).' },
        },
        { optional: ['shutdownTimeoutSeconds'] },
      ),
      ok: { '202': json(ref('PlanAccepted'), 'The run is a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/recovery-plans/{pid}/failback': {
    parameters: [param('planId')],
    post: op({
      id: 'failBackRecoveryPlan',
      tag: 'Disaster recovery',
      summary: "Fail back a recovery plan: every VM of the plan failed over here goes back to the source site",
      description:
        "Lifeline's Restore privilege on the inventory root of the plan's vCenter. One job (kind recovery-plan-failback), a step per VM, the plan's last group first back to its first (dependants leave before what they depend on), the VMs of a group together (at most maxParallel). Each step is the failback of POST /sites/{id}/replicated-vms/{vmId}/failback: this site shuts the VM down and keeps it powered off, backs it up, sends back only the chunks the source lacks, and the source site recovers that point onto the original VM (target original) or as a new VM named the source VM's name + nameSuffix (target new). Refused with nothing started: 409 dr-failback-refused naming each VM and its reason (details.vms[].reason: not-failed-over, busy, no-reverse-replication — no reverse replication of it has completed yet) or the source site's refusal; 503 dr-source-unreachable; 409 busy while the plan runs. A failed step leaves its VM running here and the others go on; a cancel starts no new step. The run (failback set) is listed with the plan's runs; each failover's failback part is its report.",
      body: obj(
        {
          target: oneOfStrings(['original', 'new']),
          nameSuffix: described(strOrNull, "Target new: each new VM is named its source VM's name followed by this (default -failback)."),
          powerOn: described(bool, 'Power the VMs on at the source site (default true).'),
          shutdownTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'How long this site waits for each guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once).' },
        },
        { optional: ['target', 'nameSuffix', 'powerOn', 'shutdownTimeoutSeconds'] },
      ),
      ok: { '202': json(ref('PlanAccepted'), 'The failback is a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/recovery-plans/{pid}/cleanup': {
    parameters: [param('planId')],
    post: op({
      id: 'cleanUpRecoveryPlan',
      tag: 'Disaster recovery',
      summary: "Clean up the plan's last test run",
      description: "Lifeline's Restore privilege on the inventory root of the plan's vCenter. Removes every drill VM the run brought up, with its folder, and nothing else; 409 when the last run was no test.",
      ok: { '202': json(ref('PlanAccepted'), 'The clean-up is a job.', JOB_LOCATION) },
      errors: [404, 409],
    }),
  },
  '/api/v1/settings': {
    get: op({ id: 'getSettings', tag: 'Server', summary: "The server's settings, read-only", description: "Lifeline's Admin privilege on the inventory root. Never a secret.", ok: { '200': json(ref('ServerSettings'), 'The settings.') }, errors: [404] }),
  },
  '/api/v1/notifications/channels': {
    get: op({ id: 'listChannels', tag: 'Notifications', summary: 'Notification channels', description: "Lifeline's Admin privilege on the inventory root of every vCenter. Secrets are never answered.", ok: { '200': json(ref('NotificationChannelList'), 'All channels.') } }),
    post: op({
      id: 'createChannel',
      tag: 'Notifications',
      summary: 'Add a notification channel',
      description: "Lifeline's Admin privilege everywhere; audited. A bad configuration is refused with the field named (400 validation, errors[].field).",
      body: ref('NotificationChannelInput'),
      ok: { '201': json(ref('NotificationChannel'), 'The channel.', { Location: { description: '/api/v1/notifications/channels/{id}', schema: { type: 'string' } } }) },
    }),
  },
  '/api/v1/notifications/channels/{id}': {
    parameters: [param('channelId')],
    get: op({ id: 'getChannel', tag: 'Notifications', summary: 'One notification channel', description: "Lifeline's Admin privilege everywhere.", ok: { '200': json(ref('NotificationChannel'), 'The channel.') }, errors: [404] }),
    put: op({
      id: 'replaceChannel',
      tag: 'Notifications',
      summary: "Replace a channel's configuration",
      description: "Lifeline's Admin privilege everywhere; audited. Without `secret` the stored secret is kept.",
      body: ref('NotificationChannelInput'),
      ok: { '200': json(ref('NotificationChannel'), 'The channel.') },
      errors: [404],
    }),
    delete: op({ id: 'deleteChannel', tag: 'Notifications', summary: 'Remove a channel and its pending deliveries', description: "Lifeline's Admin privilege everywhere; audited. Its delivery log stays.", ok: { '204': noContent('Removed.') }, errors: [404] }),
  },
  '/api/v1/notifications/channels/{id}/test': {
    parameters: [param('channelId')],
    post: op({
      id: 'testChannel',
      tag: 'Notifications',
      summary: 'Send the channel a test event now',
      description: "Lifeline's Admin privilege everywhere; audited. One attempt of a lifeline.test event; the answer says whether the receiver took it.",
      ok: { '200': json(ref('ChannelTestResult'), 'The outcome.') },
      errors: [404],
    }),
  },
  '/api/v1/notifications/deliveries': {
    get: op({
      id: 'listDeliveries',
      tag: 'Notifications',
      summary: 'The delivery log, newest first',
      description: "Lifeline's Admin privilege everywhere. Every attempt to deliver an event to a channel: delivered, retry (another attempt follows) or dead (given up).",
      params: [
        { name: 'channelId', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'before', in: 'query', description: 'Only entries with a lower id (paging on).', schema: { type: 'integer', minimum: 1 } },
      ],
      ok: { '200': json(ref('DeliveryLog'), 'The attempts.') },
      errors: [404],
    }),
  },
  '/api/v1/maintenance': {
    post: op({
      id: 'runMaintenance',
      tag: 'Server',
      summary: 'Run repository maintenance now',
      description: "Lifeline's Admin privilege. The one already running is returned (created false).",
      body: ref('MaintenanceRequest'),
      ok: { '202': accepted('Maintenance') },
    }),
  },
};

/** The whole document; `version` is the server's. */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lifeline API',
      version,
      description:
        "Lifeline's REST API: protection policies, restore points, recovery, export, jobs and site pairing. Every call but the health check, this document and a ticketed download acts with the caller's vCenter session (the vSphere Client's session token in vmware-api-session-id) and that user's privileges. Errors are RFC 9457 problem details with a stable `code`.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/', description: 'The Lifeline server that serves this document.' }],
    security: [{ vcenterSession: [] }],
    paths: PATHS,
    components: {
      securitySchemes: {
        vcenterSession: { type: 'apiKey', in: 'header', name: 'vmware-api-session-id', description: 'A vCenter session token, as the vSphere Client holds it.' },
      },
      parameters: PARAMETERS,
      responses: PROBLEM_RESPONSES,
      schemas: SCHEMAS,
    },
  };
}
