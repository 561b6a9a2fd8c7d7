import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { LifelineApiError } from '../api/lifeline-api-error';
import { API_BASE, configureViewTestBed, flushProblem, initializeSdk, settle } from '../testing/view-test-bed';
import { JOB_ID, POINT_ID, RUN_ID, instantAcceptedBody, instantRecoveryBody } from '../testing/server-bodies';
import { InstantRecoveriesApi, readInstantRecovery } from './instant-recoveries-api';

const LIST = `${API_BASE}/api/v1/instant-recoveries`;

describe('InstantRecoveriesApi', () => {
  let http: HttpTestingController;
  let api: InstantRecoveriesApi;

  beforeEach(async () => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http } = bed);
    await initializeSdk();
    api = TestBed.inject(InstantRecoveriesApi);
  });

  afterEach(() => http.verify());

  it('lists the instant recoveries with the user’s session, as the server sends them', async () => {
    const listed = api.list();
    await settle();
    const request = http.expectOne({ method: 'GET', url: LIST });
    expect(request.request.headers.get('vmware-api-session-id')).toBe('fake-session-token');
    request.flush({ items: [instantRecoveryBody(), instantRecoveryBody({ id: 'r2', kind: 'attach', vm: null, state: 'starting', jobId: null })], total: 2 });
    const runs = await listed;
    expect(runs.map((r) => [r.id, r.kind, r.state, r.vm?.moref ?? null, r.pointId])).toEqual([
      [RUN_ID, 'new-instance', 'running', 'vm-91', POINT_ID],
      ['r2', 'attach', 'starting', null, POINT_ID],
    ]);
    expect(runs[0]?.disks).toEqual([{ pointDisk: 0, capacity: 32 * 2 ** 30, file: '[lifeline-e2e] 20261123-100000-1a2b3c4d/disk0.vmdk' }]);
  });

  it('refuses a body that is not an instant recovery', () => {
    expect(readInstantRecovery(instantRecoveryBody({ state: 'paused' }))).toBeNull();
    expect(readInstantRecovery(instantRecoveryBody({ kind: 'clone' }))).toBeNull();
    expect(readInstantRecovery(instantRecoveryBody({ vm: { id: 'x' } }))).toBeNull();
    expect(readInstantRecovery(instantRecoveryBody({ disks: [{ pointDisk: '0' }] }))).toBeNull();
    expect(readInstantRecovery(instantRecoveryBody())).not.toBeNull();
  });

  it('says the answer is not what the API promises when the list is malformed', async () => {
    const listed = api.list();
    await settle();
    http.expectOne(LIST).flush({ items: [{ id: RUN_ID }] });
    await expectAsync(listed).toBeRejectedWith(jasmine.objectContaining({ code: 'BAD_RESPONSE' }));
  });

  it('migrates to the named datastore and answers the job and the run', async () => {
    const started = api.migrate(RUN_ID, 'LocalDS_1');
    await settle();
    const request = http.expectOne({ method: 'POST', url: `${LIST}/${RUN_ID}/migrate` });
    expect(request.request.body).toEqual({ datastore: 'LocalDS_1' });
    request.flush(instantAcceptedBody(), { status: 202, statusText: 'Accepted' });
    const accepted = await started;
    expect([accepted.job.id, accepted.job.kind, accepted.runId, accepted.created]).toEqual([JOB_ID, 'instant-recovery', RUN_ID, true]);
  });

  it('lists the datastores a migration may go to', async () => {
    const listed = api.migrationTargets(RUN_ID);
    await settle();
    http.expectOne({ method: 'GET', url: `${LIST}/${RUN_ID}/migration-targets` }).flush({ items: [{ name: 'LocalDS_0', capacityBytes: 10, freeBytes: 4 }, { name: 'LocalDS_1', capacityBytes: null, freeBytes: null }] });
    expect(await listed).toEqual([
      { name: 'LocalDS_0', capacityBytes: 10, freeBytes: 4 },
      { name: 'LocalDS_1', capacityBytes: null, freeBytes: null },
    ]);
  });

  it('discards with an empty body', async () => {
    const started = api.discard(RUN_ID);
    await settle();
    const request = http.expectOne({ method: 'POST', url: `${LIST}/${RUN_ID}/discard` });
    expect(request.request.body).toEqual({});
    request.flush(instantAcceptedBody(), { status: 202, statusText: 'Accepted' });
    expect((await started).runId).toBe(RUN_ID);
  });

  it('passes the server’s refusal on as an API error with its code', async () => {
    const started = api.migrate(RUN_ID, 'nowhere');
    await settle();
    flushProblem(http.expectOne(`${LIST}/${RUN_ID}/migrate`), { status: 400, title: 'Bad Request', detail: 'no datastore nowhere in the VM’s datacenter', code: 'validation' });
    const error: unknown = await started.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifelineApiError);
    expect((error as LifelineApiError).code).toBe('validation');
    expect((error as LifelineApiError).detail).toContain('nowhere');
  });
});
