import { TestBed } from '@angular/core/testing';

import { FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../sdk/fake-html-client-sdk';
import { HtmlClientSdkService } from '../sdk/html-client-sdk';
import { VsphereDatePipe } from './vsphere-date-pipe';

describe('VsphereDatePipe', () => {
  const at = '2026-03-04T12:06:07Z';

  async function pipeWith(fake: FakeHtmlClientSdk): Promise<VsphereDatePipe> {
    TestBed.configureTestingModule({ providers: provideFakeHtmlClientSdk(fake) });
    await TestBed.inject(HtmlClientSdkService).initialize();
    return TestBed.runInInjectionContext(() => new VsphereDatePipe());
  }

  it("shows dates in the user's vSphere format when the vSphere Client offers formatDateTime", async () => {
    const fake = new FakeHtmlClientSdk();
    const asked: unknown[] = [];
    fake.dateFormat = (instant, options) => {
      asked.push([instant, options?.format]);
      return `vSphere ${options?.format ?? ''} ${new Date(instant).toISOString()}`;
    };
    const pipe = await pipeWith(fake);
    expect(pipe.transform(at, 'medium')).toBe('vSphere DATE_AND_TIME 2026-03-04T12:06:07.000Z');
    expect(pipe.transform(at, 'mediumDate')).toBe('vSphere DATE 2026-03-04T12:06:07.000Z');
    expect(pipe.transform(at, 'HH:mm:ss')).toBe('vSphere TIME 2026-03-04T12:06:07.000Z');
    expect(asked).toEqual([
      [Date.parse(at), 'DATE_AND_TIME'],
      [Date.parse(at), 'DATE'],
      [Date.parse(at), 'TIME'],
    ]);
    expect(pipe.transform(null, 'medium')).toBeNull();
    expect(pipe.transform('not a date', 'medium')).toBeNull();
  });

  it('formats in the locale itself when the vSphere Client has no formatDateTime (before 7.0 U1)', async () => {
    const pipe = await pipeWith(new FakeHtmlClientSdk());
    expect(pipe.transform(at, 'mediumDate')).toBe('Mar 4, 2026');
  });
});
