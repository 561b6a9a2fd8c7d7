import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { FAKE_VM_ID } from '../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, settle } from '../testing/view-test-bed';
import { CapabilitiesApi, readVmCapabilities } from './capabilities';
import { capabilitiesUrl } from './capabilities-testing';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

describe('capabilities', () => {
  let http: HttpTestingController;

  beforeEach(async () => {
    ({ http } = configureViewTestBed());
    await TestBed.inject(HtmlClientSdkService).initialize();
  });

  afterEach(() => http.verify());

  it('reads only a complete answer', () => {
    expect(readVmCapabilities({ protect: true, restore: false, admin: false })).toEqual({ protect: true, restore: false, admin: false });
    expect(readVmCapabilities({ protect: true, restore: 'yes', admin: false })).toBeNull();
    expect(readVmCapabilities({ protect: true, restore: true })).toBeNull();
    expect(readVmCapabilities(null)).toBeNull();
  });

  it('allows nothing until the server answers, then what it answered', async () => {
    const can = TestBed.inject(CapabilitiesApi).forView(FAKE_VM_ID, new AbortController().signal);
    await settle();
    expect(can.value()).toBeNull();
    expect(can.restore()).toBeFalse();
    expect(can.protect()).toBeFalse();
    expect(can.admin()).toBeFalse();
    http.expectOne(capabilitiesUrl(API_BASE, FAKE_VM_ID)).flush({ protect: true, restore: false, admin: true });
    await settle();
    expect(can.protect()).toBeTrue();
    expect(can.restore()).toBeFalse();
    expect(can.admin()).toBeTrue();
  });

  it('allows nothing and keeps the reason when the question fails', async () => {
    const can = TestBed.inject(CapabilitiesApi).forView(FAKE_VM_ID, new AbortController().signal);
    await settle();
    flushProblem(http.expectOne(capabilitiesUrl(API_BASE, FAKE_VM_ID)), {
      status: 403,
      title: 'Forbidden',
      detail: 'reader lacks the privilege System.Read on VirtualMachine vm-58.',
      code: 'forbidden',
    });
    await settle();
    expect(can.restore()).toBeFalse();
    expect(can.error()?.detail).toContain('System.Read');
  });

  it('asks nothing without a VM', async () => {
    const can = TestBed.inject(CapabilitiesApi).forView(null, new AbortController().signal);
    await settle();
    http.expectNone(() => true);
    expect(can.value()).toBeNull();
  });
});
