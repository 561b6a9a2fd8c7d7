import { TestBed } from '@angular/core/testing';

import { FAKE_VC_GUID, FakeHtmlClientSdk, provideFakeHtmlClientSdk } from '../../sdk/fake-html-client-sdk';
import { VmProtection } from './vm-protection';

describe('VmProtection', () => {
  let fake: FakeHtmlClientSdk;

  beforeEach(() => {
    fake = new FakeHtmlClientSdk();
    TestBed.configureTestingModule({ providers: provideFakeHtmlClientSdk(fake) });
  });

  async function render(): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(VmProtection);
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('names the VM it was opened for and says Lifeline does not protect it yet', async () => {
    const element = await render();
    expect(element.querySelector('.ll-vm-identity')?.textContent).toContain('vm-58');
    expect(element.querySelector('.ll-vm-identity')?.textContent).toContain(FAKE_VC_GUID);
    expect(element.querySelector('clr-alert')?.textContent).toContain('Lifeline is not yet protecting this VM.');
  });

  it('shows nothing about a VM when no VM is in context', async () => {
    fake.contextObjects = [];
    const element = await render();
    expect(element.querySelector('.ll-vm-identity')).toBeNull();
    expect(element.querySelector('clr-alert')).toBeNull();
    expect(element.querySelector('.ll-vm-missing')?.textContent).toContain('Open this view from a virtual machine');
  });
});
