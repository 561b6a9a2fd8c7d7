import { TestBed } from '@angular/core/testing';

import { JobKindPipe, JobTargetPipe } from './job-labels';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';

describe('job labels', () => {
  let kind: JobKindPipe;
  let target: JobTargetPipe;

  beforeEach(async () => {
    await TestBed.inject(HtmlClientSdkService).initialize();
    kind = TestBed.runInInjectionContext(() => new JobKindPipe());
    target = TestBed.runInInjectionContext(() => new JobTargetPipe());
  });

  it('names the kinds this UI knows and shows others as the server names them', () => {
    expect(kind.transform('backup')).toBe('Backup');
    expect(kind.transform('maintenance')).toBe('Repository maintenance');
    expect(kind.transform('retention')).toBe('Keep restore point');
    expect(kind.transform('replication')).toBe('Replication');
    expect(kind.transform('failover')).toBe('failover');
  });

  it('names a VM by its moref and the repository in words', () => {
    expect(target.transform({ target: { type: 'VirtualMachine', id: 'vm-58', vcenterGuid: 'vc-1' } })).toBe('VM vm-58');
    expect(target.transform({ target: { type: 'repository', id: 'store', vcenterGuid: null } })).toBe('Backup repository');
    expect(target.transform({ target: { type: 'site', id: 'dr-1', vcenterGuid: null } })).toBe('site dr-1');
  });
});
