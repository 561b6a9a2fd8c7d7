import type { PluginBackendInfo, SessionInfo } from './html-client-sdk-api';
import { STANDALONE_CLIENT_TYPE, createStandaloneSdk, type StandaloneHost } from './standalone-sdk';

class FakeHost implements StandaloneHost {
  readonly opened: string[] = [];
  readonly warnings: string[] = [];
  closed = 0;
  title = '';

  constructor(
    readonly search: string,
    readonly language = 'en-US',
  ) {}

  openWindow(url: string): void {
    this.opened.push(url);
  }
  closeWindow(): void {
    this.closed += 1;
  }
  setTitle(title: string): void {
    this.title = title;
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}

describe('createStandaloneSdk', () => {
  it('takes the context object and the theme from the page URL', () => {
    const sdk = createStandaloneSdk(new FakeHost('?objectId=urn:vmomi:VirtualMachine:vm-58:vc-1&theme=dark'));
    expect(sdk.app.getContextObjects()).toEqual([{ id: 'urn:vmomi:VirtualMachine:vm-58:vc-1' }]);
    expect(sdk.app.getTheme().name).toBe('dark');
  });

  it('has no context and the light theme when the URL names none', () => {
    const sdk = createStandaloneSdk(new FakeHost('?theme=purple'));
    expect(sdk.app.getContextObjects()).toEqual([]);
    expect(sdk.app.getTheme().name).toBe('light');
    expect(sdk.app.getClientLocale()).toBe('en-US');
  });

  it('has no session and reaches the server on its own origin', () => {
    const sdk = createStandaloneSdk(new FakeHost(''));
    let session: SessionInfo | null | undefined;
    let backend: PluginBackendInfo | null | undefined;
    sdk.app.getSessionInfo((info) => (session = info));
    sdk.app.getPluginBackendInfo((info) => (backend = info));
    expect(session).toEqual({ sessionToken: '' });
    expect(backend?.allPluginBackendServers).toEqual([{ proxiedBaseUrl: '', type: STANDALONE_CLIENT_TYPE }]);
  });

  it('calls back from initialize asynchronously, as the vSphere Client does', async () => {
    const sdk = createStandaloneSdk(new FakeHost(''));
    let called = false;
    sdk.initialize(() => (called = true));
    expect(called).toBeFalse();
    await Promise.resolve();
    expect(called).toBeTrue();
  });

  it('opens modals as windows and says so when asked to navigate in the vSphere Client', () => {
    const host = new FakeHost('');
    const sdk = createStandaloneSdk(host);
    sdk.modal.open({ url: 'index.html#/vm/recover', title: 'Recover' });
    sdk.modal.setOptions({ title: 'Recover vm-58' });
    sdk.modal.close();
    sdk.app.navigateTo({ targetViewId: 'com.example.view' });
    expect(host.opened).toEqual(['index.html#/vm/recover']);
    expect(host.title).toBe('Recover vm-58');
    expect(host.closed).toBe(1);
    expect(host.warnings.length).toBe(1);
    expect(host.warnings[0]).toContain('com.example.view');
  });
});
