// The events of instant recovery jobs: the same restore.* model as copy-first restores, each of
// the VM the step worked on.
import type { JobRecord } from '../jobs/index.js';
import { eventsOfJob } from './producers.js';

const GUID = '11111111-2222-3333-4444-555555555555';

function ended(over: Partial<JobRecord>): JobRecord {
  return {
    id: 'job-1',
    kind: 'instant-recovery',
    target: { type: 'VirtualMachine', id: 'vm-7', vcenterGuid: GUID },
    state: 'succeeded',
    priority: 20,
    params: null,
    limitKeys: [],
    phase: null,
    phases: [],
    progress: { bytesDone: 0, bytesTotal: null, rateBytesPerSecond: null, etaSeconds: null },
    checkpoint: null,
    result: null,
    attempt: 1,
    maxAttempts: 1,
    nextAttemptAt: null,
    cancelRequested: false,
    error: null,
    cleanup: 'none',
    requestedBy: 'alice',
    log: { lines: 0, dropped: 0 },
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:01Z',
    finishedAt: '2026-01-01T00:00:01Z',
    deadline: null,
    yieldsWhileQueued: false,
    ...over,
  };
}

describe('events of instant recovery jobs', () => {
  it('tells an instant revert step as a restore event of its VM', () => {
    const [e] = eventsOfJob(ended({ kind: 'instant-revert', params: { operation: 'commit', vm: { vcenterGuid: GUID, moref: 'vm-7' } } }), false);
    expect(e).toEqual(jasmine.objectContaining({ type: 'restore.succeeded', jobId: 'job-1', vm: { vcenterGuid: GUID, moref: 'vm-7' } }));
    expect(e?.data).toEqual(jasmine.objectContaining({ kind: 'instant-revert', operation: 'instant-revert-commit' }));
    expect(e?.message).toBe('Make permanent of the instant revert of vm-7 succeeded');
  });

  it('names a new instance’s VM once made, and still tells a start that failed before', () => {
    const target = { type: 'NewVirtualMachine', id: 'web-restored', vcenterGuid: GUID };
    const params = { operation: 'new-instance', runId: 'run-1' };
    const [made] = eventsOfJob(ended({ target, params, result: { runId: 'run-1', vm: 'vm-42', pointId: 'p' } }), false);
    expect(made).toEqual(jasmine.objectContaining({ type: 'restore.succeeded', vm: { vcenterGuid: GUID, moref: 'vm-42', name: 'web-restored' } }));
    expect(made?.data).toEqual(jasmine.objectContaining({ operation: 'instant-new-instance', runId: 'run-1' }));
    const [failed] = eventsOfJob(ended({ target, params, state: 'failed', error: { code: 'conflict', message: 'no host' } }), false);
    expect(failed).toEqual(jasmine.objectContaining({ type: 'restore.failed', vm: null, message: 'Instant new instance of web-restored failed: no host' }));
    expect(failed?.data).toEqual(jasmine.objectContaining({ error: { code: 'conflict', message: 'no host' } }));
  });

  it('tells a cancelled discard as a failed restore', () => {
    const [e] = eventsOfJob(ended({ params: { operation: 'discard', runId: 'run-2' }, state: 'cancelled', error: { code: 'cancelled', message: 'cancelled by alice' } }), false);
    expect(e).toEqual(jasmine.objectContaining({ type: 'restore.failed', message: 'Discard of the instant recovery of vm-7 was cancelled: cancelled by alice' }));
  });
});
