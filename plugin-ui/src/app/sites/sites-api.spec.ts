import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { SESSION_HEADER } from '../api/lifeline-api';
import { FAKE_VM_ID } from '../sdk/fake-html-client-sdk';
import { jobBody } from '../testing/server-bodies';
import { PAIRING_CODE, PEER_ID, PEER_THUMBPRINT, linkBody, pairingCodeBody, peerBody, probeBody, replicationResultBody, replicationSettingsBody, sitesBody, vmReplicationBody } from '../testing/site-bodies';
import { API_BASE, configureViewTestBed, flushProblem, initializeSdk, settle } from '../testing/view-test-bed';
import { readJob } from '../api/job';
import {
  applyServerSettingsErrors,
  createReplicationSettingsForm,
  DEFAULT_REPLICATION_SETTINGS,
  replicationSettingsOf,
} from './replication-settings-form';
import { SitesApi, readPeer, readReplicationSettings, readSites, readVmReplication, replicationResultOf } from './sites-api';

describe('SitesApi', () => {
  let http: HttpTestingController;
  let api: SitesApi;

  beforeEach(async () => {
    ({ http } = configureViewTestBed());
    await initializeSdk();
    api = TestBed.inject(SitesApi);
  });

  afterEach(() => http.verify());

  it('calls each route of the sites API with the user’s session, and reads its answer', async () => {
    const sites = api.sites();
    await settle();
    const get = http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites` });
    expect(get.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    get.flush(sitesBody());
    expect((await sites).peers.map((p) => p.name)).toEqual(['dr-frankfurt']);

    const code = api.allowPairing();
    await settle();
    http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/sites/pairing-codes` }).flush(pairingCodeBody(), { status: 201, statusText: 'Created' });
    expect((await code).code).toBe(PAIRING_CODE);

    const probe = api.probe('https://dr.example.com:8543');
    await settle();
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/sites/probe` });
    expect(post.request.body).toEqual({ url: 'https://dr.example.com:8543' });
    post.flush(probeBody());
    expect((await probe).thumbprint).toBe(PEER_THUMBPRINT);

    const settings = readReplicationSettings(replicationSettingsBody())!;
    const patched = api.updateSettings('site/7', settings);
    await settle();
    const patch = http.expectOne({ method: 'PATCH', url: `${API_BASE}/api/v1/sites/site%2F7` });
    expect(patch.request.body).toEqual({ settings: replicationSettingsBody() });
    patch.flush(peerBody());
    expect((await patched).id).toBe(PEER_ID);

    const unpaired = api.unpair(PEER_ID);
    await settle();
    http.expectOne({ method: 'DELETE', url: `${API_BASE}/api/v1/sites/${PEER_ID}` }).flush(null, { status: 204, statusText: 'No Content' });
    await unpaired;

    const replication = api.vmReplication(FAKE_VM_ID);
    await settle();
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}/replication` }).flush(vmReplicationBody());
    expect((await replication).rpoMet).toBeTrue();
  });

  it('turns a refusal into the server’s problem, with its code', async () => {
    const pairing = api.pair({ url: 'https://dr.example.com:8543', thumbprint: PEER_THUMBPRINT, code: 'x', settings: DEFAULT_REPLICATION_SETTINGS });
    await settle();
    flushProblem(http.expectOne(`${API_BASE}/api/v1/sites`), { status: 409, title: 'Conflict', detail: 'Thumbprint mismatch.', code: 'site-thumbprint-mismatch' });
    await expectAsync(pairing).toBeRejectedWith(jasmine.objectContaining({ status: 409, code: 'site-thumbprint-mismatch', detail: 'Thumbprint mismatch.' }));
  });
});

describe('sites API readers', () => {
  it('read the bodies the sites API sends', () => {
    expect(readSites(sitesBody())?.self.name).toBe('prod-berlin');
    expect(readPeer(peerBody({ link: null }))?.link).toBeNull();
    expect(readPeer(peerBody({ settings: replicationSettingsBody({ bandwidthMBps: null, window: null }) }))?.settings.window).toBeNull();
    expect(readVmReplication(vmReplicationBody({ site: null, state: 'not-configured', rpoSeconds: null, rpoMet: null }))?.site).toBeNull();
  });

  it('refuse a body that is not what the sites API promises', () => {
    const bad: [string, unknown][] = [
      ['role', peerBody({ role: 'primary' })],
      ['link state', peerBody({ link: linkBody({ state: 'sleeping' }) })],
      ['negative bytes', peerBody({ link: linkBody({ bytesSent: -1 }) })],
      ['window time', peerBody({ settings: replicationSettingsBody({ window: { from: '8:00', to: '18:00', bandwidthMBps: 5 } }) })],
      ['zero limit', peerBody({ settings: replicationSettingsBody({ bandwidthMBps: 0 }) })],
      ['retention', peerBody({ settings: replicationSettingsBody({ retention: { keepLast: 1, daily: 1, weekly: 1 } }) })],
      ['fractional VMs', peerBody({ settings: replicationSettingsBody({ maxConcurrentVms: 1.5 }) })],
    ];
    for (const [what, body] of bad) {
      expect(readPeer(body)).withContext(what).toBeNull();
    }
    expect(readSites(sitesBody([peerBody(), peerBody({ url: 7 })]))).toBeNull();
    expect(readSites({ peers: [] })).toBeNull();
    expect(readVmReplication(vmReplicationBody({ rpoMet: 'yes' }))).toBeNull();
    expect(readVmReplication(vmReplicationBody({ site: { id: PEER_ID } }))).toBeNull();
  });

  it('read what a replication job sent from its result, and nothing from other jobs', () => {
    const replication = readJob(jobBody({ kind: 'replication', state: 'succeeded', result: replicationResultBody() }))!;
    expect(replicationResultOf(replication)).toEqual({ site: PEER_ID, pointId: '20261123-100000-1a2b3c4d', chunks: 1200, chunksSent: 37, bytesSent: 96 * 2 ** 20, present: false });
    expect(replicationResultOf(readJob(jobBody({ kind: 'replication', result: null }))!)).toBeNull();
    expect(replicationResultOf(readJob(jobBody({ kind: 'backup', result: replicationResultBody() }))!)).toBeNull();
  });
});

describe('replication settings form', () => {
  it('starts from the settings given and gives them back unchanged', () => {
    const settings = readReplicationSettings(replicationSettingsBody())!;
    const form = createReplicationSettingsForm(settings);
    expect(form.valid).toBeTrue();
    expect(replicationSettingsOf(form)).toEqual(settings);
    expect(replicationSettingsOf(createReplicationSettingsForm())).toEqual(DEFAULT_REPLICATION_SETTINGS);
  });

  it('ignores the window’s fields while the window is off, and checks them once it is on', () => {
    const form = createReplicationSettingsForm(DEFAULT_REPLICATION_SETTINGS);
    form.controls.window.controls.bandwidthMBps.setValue(null);
    expect(form.valid).toBeTrue();
    form.controls.window.controls.enabled.setValue(true);
    expect(form.valid).toBeFalse();
    form.controls.window.controls.bandwidthMBps.setValue(5);
    expect(form.valid).toBeTrue();
    expect(replicationSettingsOf(form).window).toEqual({ from: '08:00', to: '18:00', bandwidthMBps: 5 });
    form.controls.bandwidthMBps.setValue(5);
    expect(form.errors).toBeNull();
    form.controls.bandwidthMBps.setValue(4);
    expect(form.errors).toEqual({ windowNotLower: true });
    form.controls.window.controls.enabled.setValue(false);
    expect(form.valid).toBeTrue();
    expect(replicationSettingsOf(form).window).toBeNull();
  });

  it('puts each server field error on its field, by the path the server names, and answers the others', () => {
    const form = createReplicationSettingsForm();
    form.controls.window.controls.enabled.setValue(true);
    const unshown = applyServerSettingsErrors(form, [
      { field: 'settings.retention.weekly', message: 'too many' },
      { field: 'window.from', message: 'not a time' },
      { field: 'settings.colour', message: 'unknown' },
    ]);
    expect(form.controls.retention.controls.weekly.errors?.['server']).toBe('too many');
    expect(form.controls.window.controls.from.errors?.['server']).toBe('not a time');
    expect(unshown).toEqual([{ field: 'settings.colour', message: 'unknown' }]);
  });
});
