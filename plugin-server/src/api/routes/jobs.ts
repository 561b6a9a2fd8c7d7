/**
 * Jobs: the list (filters state, kind, target; newest first) and the global event stream with
 * System.Read on the inventory root; one job, its event stream and its cancellation with
 * System.Read (cancel: the privilege of its kind, see privileges.ts) on the job's target when that
 * is a VM, else on the inventory root. The list and the global stream show only the caller's
 * scope (scope.ts): jobs of their vCenter whose VM they can see, and jobs of no vCenter to its
 * administrators.
 */
import { Router, type Request } from 'express';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { JOB_STATES, isTerminal, type JobRecord, type JobState, type JobTarget } from '../../jobs/index.js';
import { vmTarget } from '../../domain/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { MoRef, UserSession } from '../auth/ports.js';
import { cancelPrivilegeFor, PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import type { ApiServices } from './api-services.js';
import { lastEventId, openEventStream } from './event-stream.js';
import { scopeOf } from './scope.js';
import type { VmInventory } from './vms.js';
import { pageOf } from './paging.js';
import { parseVmId } from './vm-id.js';

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;
const KIND = /^[a-z][a-z0-9-]{0,63}$/;
const MAX_JOB_PAGE = 500;
const LOG_TAIL = 50;

export function jobRoutes<S extends UserSession & VmInventory>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const jobOf = (req: Request): JobRecord => {
    const id = req.params['id'];
    if (typeof id !== 'string' || !JOB_ID.test(id)) throw new ValidationError('id must be a job id', { field: 'id' });
    const job = svc.jobs.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`, { jobId: id });
    return job;
  };
  const onJob = (privileges: (job: JobRecord) => readonly string[]) =>
    auth.require({
      // A job of no vCenter (maintenance, the repository) concerns every vCenter's VMs: Admin.
      privileges: (req) => {
        const job = jobOf(req);
        return job.target.vcenterGuid === null ? [...new Set([...privileges(job), PRIVILEGES.admin])] : privileges(job);
      },
      entity: (req, session): MoRef => {
        const t = jobOf(req).target;
        return t.type === 'VirtualMachine' && t.vcenterGuid !== null ? { type: 'VirtualMachine', value: t.id } : session.rootFolder;
      },
      vcenterGuid: (req) => {
        const id = req.params['id'];
        return typeof id === 'string' ? (svc.jobs.get(id)?.target.vcenterGuid ?? null) : null;
      },
    });
  // Admin on the root also shows the jobs of no vCenter (see scope.ts).
  const onRoot = auth.require({ privileges: [READ_PRIVILEGE], alsoAsk: [PRIVILEGES.admin] });

  router.get('/jobs', onRoot, async (req, res) => {
    const page = pageOf(req);
    if (page.limit > MAX_JOB_PAGE) throw new ValidationError(`Query parameter limit must be an integer from 1 to ${MAX_JOB_PAGE}.`, { parameter: 'limit' });
    const scope = await scopeOf<S>(req);
    const filter = { ...statesOf(req), ...kindOf(req), ...targetOf(req, authorizedCall<S>(req).vcenter.guid), visibleTo: scope.jobFilter };
    const { items } = svc.jobs.list({ ...filter, offset: page.offset, limit: page.limit });
    res.json({ items, total: svc.jobs.count(filter), offset: page.offset, limit: page.limit });
  });

  router.get('/jobs/:id', onJob(() => [READ_PRIVILEGE]), (req, res) => {
    const job = jobOf(req);
    const tail = svc.jobs.readLog(job.id, Math.max(0, job.log.lines - LOG_TAIL), LOG_TAIL);
    res.json({ ...job, log: { ...job.log, tail } });
  });

  router.post(
    '/jobs/:id/cancel',
    audited(svc.audit, svc.log, 'job.cancel', (params) => `job:${String(params['id'])}`),
    onJob((job) => [cancelPrivilegeFor(job.kind)]),
    (req, res) => {
      const { session } = authorizedCall<S>(req);
      const job = jobOf(req);
      noteAudit(req, { details: { kind: job.kind } });
      const after = svc.runner.cancel(job.id, `cancelled by ${session.userName}`);
      // A running job ends only once its work has cleaned up: accepted, not yet done.
      res.status(isTerminal(after.state) ? 200 : 202).json(after);
    },
  );

  router.get('/jobs/:id/events', onJob(() => [READ_PRIVILEGE]), (req, res) => {
    const job = jobOf(req);
    const after = lastEventId(req);
    const stream = openEventStream(req, res, { heartbeatMs: svc.sseHeartbeatMs, shutdown: svc.shutdown });
    const done = (j: JobRecord) => isTerminal(j.state) && j.cleanup !== 'pending' && j.cleanup !== 'running';
    svc.events.subscribeJob(
      job,
      (e) => {
        stream.send(e);
        // The stream's purpose ends with the job; the client reloads the record if it wants more.
        if ((e.type === 'state' || e.type === 'snapshot') && done(e.job)) stream.close();
      },
      { ...(after !== undefined ? { after } : {}), signal: stream.signal },
    );
    // Resuming after the job's last event: nothing was replayed, and nothing more will come.
    if (done(svc.jobs.get(job.id) ?? job)) stream.close();
  });

  router.get('/events', onRoot, async (req, res) => {
    const after = lastEventId(req);
    const scope = await scopeOf<S>(req);
    const stream = openEventStream(req, res, { heartbeatMs: svc.sseHeartbeatMs, shutdown: svc.shutdown });
    // Whether each job's events are the caller's, decided once per job from its target.
    const seen = new Map<string, boolean>();
    const sees = (jobId: string): boolean => {
      let ok = seen.get(jobId);
      if (ok === undefined) {
        const job = svc.jobs.get(jobId);
        ok = job !== undefined && scope.seesTarget(job.target);
        if (seen.size > 10_000) seen.clear();
        seen.set(jobId, ok);
      }
      return ok;
    };
    svc.events.subscribe(
      (e) => {
        if (e.jobId === null || sees(e.jobId)) stream.send(e);
      },
      { ...(after !== undefined ? { after } : {}), signal: stream.signal },
    );
  });

  return router;
}

function statesOf(req: Request): { states?: JobState[] } {
  const raw = req.query['state'];
  if (raw === undefined) return {};
  const states = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : [];
  if (states.length === 0 || states.some((s) => !(JOB_STATES as readonly string[]).includes(s))) {
    throw new ValidationError(`Query parameter state must be one or more of ${JOB_STATES.join(', ')}, separated by commas.`, { parameter: 'state' });
  }
  return { states: states as JobState[] };
}

function kindOf(req: Request): { kind?: string } {
  const raw = req.query['kind'];
  if (raw === undefined) return {};
  if (typeof raw !== 'string' || !KIND.test(raw)) {
    throw new ValidationError('Query parameter kind must be a job kind such as backup (lower-case letters, digits and dashes).', { parameter: 'kind' });
  }
  return { kind: raw };
}

function targetOf(req: Request, defaultVcenter: string): { target?: JobTarget } {
  const raw = req.query['target'];
  if (raw === undefined) return {};
  const id = parseVmId(raw, 'target');
  return { target: vmTarget({ moref: id.moref, vcenterGuid: id.vcenterGuid ?? defaultVcenter }) };
}
