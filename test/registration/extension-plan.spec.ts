import {
  EXTENSION_KEY,
  ServerThumbprintMismatchError,
  ServerUnreachableError,
  checkExtensionVersion,
  checkPluginUrl,
  extensionVersion,
  planExtension,
  resolveServerThumbprint,
  type ProbeServer,
} from '../../plugin-server/src/registration/index.js';
import { LifelineError, ValidationError } from '../../plugin-server/src/errors/index.js';

const THUMB = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');
const OTHER = THUMB.replace(/^../, THUMB.startsWith('00') ? '11' : '00');
const URL_ = 'https://lifeline.example.com:8443/ui/plugin.json';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('registration plan', () => {
  it('derives a numeric four-part version from the package version', () => {
    expect(extensionVersion('0.1.0')).toBe('0.1.0.0');
    expect(extensionVersion('12.3.45')).toBe('12.3.45.0');
    expect(extensionVersion('1.2.3.4')).toBe('1.2.3.4');
    expect(thrown(() => extensionVersion('1.2.0-rc.1'))).toEqual(jasmine.any(ValidationError));
    expect((thrown(() => extensionVersion('1.2.0-rc.1')) as Error).message).toContain('--version');
    expect(checkExtensionVersion(' 0.1.0.7 ')).toBe('0.1.0.7');
    for (const bad of ['0.1.0', '1.2.3.4.5', 'a.b.c.d', '1.2.3.x']) expect(thrown(() => checkExtensionVersion(bad))).toEqual(jasmine.any(ValidationError));
  });

  it('accepts only an https URL of plugin.json', () => {
    expect(checkPluginUrl(URL_)).toBe(URL_);
    const refusals: [string, string][] = [
      ['http://lifeline.example.com/ui/plugin.json', 'https'],
      ['https://lifeline.example.com/ui/index.html', 'plugin.json'],
      ['https://lifeline.example.com/', 'plugin.json'],
      ['lifeline.example.com/ui/plugin.json', 'not a URL'],
      ['https://lifeline.example.com/ui/plugin.json?x=1', 'query'],
      ['https://u:p@lifeline.example.com/ui/plugin.json', 'password'],
    ];
    for (const [url, says] of refusals) {
      const err = thrown(() => checkPluginUrl(url));
      expect(err).withContext(url).toEqual(jasmine.any(ValidationError));
      expect((err as Error).message).withContext(url).toContain(says);
    }
  });

  it('describes a remote plugin with a manifest server, its thumbprint and the privileges', () => {
    const ext = planExtension({ pluginUrl: URL_, version: '0.1.0.0', serverThumbprint: THUMB.replace(/:/g, '').toLowerCase(), adminEmails: ['ops@example.com'] });
    expect(ext.key).toBe('com.lifeline.vsphere');
    expect(ext.version).toBe('0.1.0.0');
    expect(ext.company).toBe('Lifeline');
    expect(ext.description.label).toBe('Lifeline');
    expect(ext.description.summary).not.toBe('');
    expect(ext.clients).toEqual([{ type: 'vsphere-client-remote', url: URL_, version: '0.1.0.0', company: 'Lifeline', description: ext.description }]);
    expect(ext.servers).toEqual([
      { type: 'MANIFEST_SERVER', url: URL_, serverThumbprint: THUMB, company: 'Lifeline', description: ext.description, adminEmail: ['ops@example.com'] },
    ]);
    expect(ext.privileges).toEqual(
      ['Protect', 'Restore', 'Admin'].map((p) => ({ privId: `com.lifeline.vsphere.${p}`, privGroupName: 'com.lifeline.vsphere' })),
    );
    const [res, ...more] = ext.resources ?? [];
    expect(more).toEqual([]);
    expect(res?.locale).toBe('en');
    expect(res?.module).toBe('privilege');
    // The keys vCenter's role editor looks up: privilege.<id>.label / .summary, for the group too.
    for (const p of ext.privileges) {
      expect(res?.data[`privilege.${p.privId}.label`]).withContext(p.privId).toMatch(/\S/);
      expect(res?.data[`privilege.${p.privId}.summary`]).withContext(p.privId).toMatch(/\S/);
    }
    expect(res?.data[`privilege.${EXTENSION_KEY}.label`]).toBe('Lifeline');
    expect(Object.keys(res?.data ?? {}).every((k) => k.startsWith('privilege.'))).toBeTrue();
  });

  it('registers the server certificate besides the thumbprint when it is known', () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\nAAAA\n-----END CERTIFICATE-----\n`;
    const ext = planExtension({ pluginUrl: URL_, version: '0.1.0.0', serverThumbprint: THUMB, serverCertificate: pem, adminEmails: ['ops@example.com'] });
    expect(ext.servers[0]?.serverCertificate).toBe(pem);
    expect(thrown(() => planExtension({ pluginUrl: URL_, version: '0.1.0.0', serverThumbprint: THUMB, serverCertificate: 'not a certificate', adminEmails: ['ops@example.com'] }))).toEqual(
      jasmine.any(ValidationError),
    );
  });

  it('refuses a bad thumbprint, version, URL or e-mail address, and a server without one', () => {
    const base = { pluginUrl: URL_, version: '0.1.0.0', serverThumbprint: THUMB, adminEmails: ['ops@example.com'] };
    expect((thrown(() => planExtension({ ...base, adminEmails: [] })) as Error).message).toContain('--admin-email');
    expect((thrown(() => planExtension({ ...base, serverThumbprint: 'AB:CD' })) as Error).message).toContain('server thumbprint');
    expect(thrown(() => planExtension({ ...base, version: '0.1' }))).toEqual(jasmine.any(ValidationError));
    expect(thrown(() => planExtension({ ...base, pluginUrl: 'https://x/ui/' }))).toEqual(jasmine.any(ValidationError));
    expect(thrown(() => planExtension({ ...base, adminEmails: ['nobody'] }))).toEqual(jasmine.any(ValidationError));
  });
});

describe('registration server thumbprint', () => {
  const answering =
    (thumbprint: string, status = 200): ProbeServer =>
    () =>
      Promise.resolve({ thumbprint, status });
  const down: ProbeServer = (url) => Promise.reject(new ServerUnreachableError(url, 'ECONNREFUSED'));

  it("takes the answering server's thumbprint, and checks a given one against it", async () => {
    expect(await resolveServerThumbprint(URL_, undefined, answering(THUMB))).toEqual({ thumbprint: THUMB, source: 'server' });
    expect(await resolveServerThumbprint(URL_, THUMB.toLowerCase(), answering(THUMB))).toEqual({ thumbprint: THUMB, source: 'server-and-flag' });
    const err = await rejected(resolveServerThumbprint(URL_, OTHER, answering(THUMB)));
    expect(err).toEqual(jasmine.any(ServerThumbprintMismatchError));
    expect((err as Error).message).toContain(THUMB);
    expect((err as Error).message).toContain(OTHER);
  });

  it('uses a given thumbprint when the server cannot be reached, and otherwise says what to do', async () => {
    const r = await resolveServerThumbprint(URL_, THUMB, down);
    expect(r.thumbprint).toBe(THUMB);
    expect(r.source).toBe('flag');
    expect(r.unreachable).toContain('ECONNREFUSED');
    const err = await rejected(resolveServerThumbprint(URL_, undefined, down));
    expect((err as LifelineError).code).toBe('registration-server-unreachable');
    expect((err as Error).message).toContain('--server-thumbprint');
  });

  it('refuses a URL that does not serve the manifest', async () => {
    const err = await rejected(resolveServerThumbprint(URL_, undefined, answering(THUMB, 404)));
    expect((err as LifelineError).code).toBe('registration-no-manifest');
    expect((err as Error).message).toContain('404');
  });
});
