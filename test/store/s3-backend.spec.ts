import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectRetentionCommand } from '@aws-sdk/client-s3';
import { prepareBucket, S3Backend } from '../../plugin-server/src/store/backend/s3-backend.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { describeBackendContract } from './backend-conformance.js';

const signal = new AbortController().signal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A clock that starts on a whole second and can be moved forward only as far as real time has
 * gone: the server judges retention by its own clock, which a spec cannot move.
 */
function realTimeClock(): { now: () => number; set: (ms: number) => Promise<void> } {
  let t = Math.ceil(Date.now() / 1000) * 1000;
  return {
    now: () => t,
    set: async (ms) => {
      t = ms;
      const wait = ms - Date.now();
      if (wait > 0) await sleep(wait + 20);
    },
  };
}

describe('S3 backend on a Ceph cluster', () => {
  const ceph = useCephCluster();
  let n = 0;

  beforeAll(async () => {
    await prepareBucket(ceph().client, 'conformance', true, signal);
  });

  it('runs radosgw as a process of its own, which the specs can kill', () => {
    const pid = ceph().cluster.rgwPid();
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid!, 0)).not.toThrow();
  });

  describeBackendContract('S3 (Object Lock) on Ceph RGW', async () => {
    const clock = realTimeClock();
    const loc = ceph().location('conformance', `t${++n}/`);
    const backend = new S3Backend(ceph().client, loc, { clock });
    return { backend, setNow: clock.set, now: clock.now, cleanup: async () => undefined, unitMs: 200, exclusivePut: false };
  });

  it('talks TLS to an endpoint whose certificate only the given CA file vouches for, and refuses it without', async () => {
    const { cluster, credentials } = ceph();
    const loc = { ...ceph().location('conformance', 'tls/'), endpoint: cluster.tlsEndpoint };
    const trusted = await S3Backend.open({ ...loc, caFile: cluster.caFile }, { clock: { now: () => Date.now() }, credentials });
    expect(await trusted.put('data/tls', new TextEncoder().encode('over tls'), { signal })).toEqual({ created: true });
    expect(new TextDecoder().decode(await trusted.get('data/tls', signal))).toBe('over tls');
    const untrusted = await S3Backend.open(loc, { clock: { now: () => Date.now() }, credentials });
    await expectAsync(untrusted.get('data/tls', signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-refused', message: jasmine.stringMatching(/TLS certificate is not trusted/) }));
    trusted.client.destroy();
    untrusted.client.destroy();
  });

  it("talks TLS to an endpoint pinned by its certificate's SHA-256 thumbprint, without a CA, and refuses one showing another certificate", async () => {
    const { cluster, credentials } = ceph();
    const loc = { ...ceph().location('conformance', 'tls-pin/'), endpoint: cluster.tlsEndpoint };
    const thumbprint = new X509Certificate(await readFile(cluster.caFile)).fingerprint256;
    const pinned = await S3Backend.open({ ...loc, certSha256: thumbprint }, { clock: { now: () => Date.now() }, credentials });
    expect(await pinned.put('data/pin', new TextEncoder().encode('pinned'), { signal })).toEqual({ created: true });
    expect(new TextDecoder().decode(await pinned.get('data/pin', signal))).toBe('pinned');
    const wrong = thumbprint.replace(/^../, thumbprint.startsWith('00') ? '01' : '00');
    const other = await S3Backend.open({ ...loc, certSha256: wrong }, { clock: { now: () => Date.now() }, credentials });
    await expectAsync(other.get('data/pin', signal)).toBeRejectedWith(
      jasmine.objectContaining({ code: 'backend-refused', message: jasmine.stringMatching(new RegExp(`thumbprint ${thumbprint}, not the pinned ${wrong}`)) }),
    );
    pinned.client.destroy();
    other.client.destroy();
  });

  describe('immutability against the same credentials', () => {
    it('refuses to delete a locked version through the S3 API itself, and the object reads back whole', async () => {
      const { client } = ceph();
      const loc = ceph().location('conformance', 'direct/');
      const backend = new S3Backend(client, loc, { clock: { now: () => Date.now() } });
      const body = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
      const until = Date.now() + 3_600_000;
      await backend.put('points/p1/manifest', body, { signal, retainUntil: until });
      const head = await client.send(new HeadObjectCommand({ Bucket: 'conformance', Key: 'direct/points/p1/manifest' }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      await expectAsync(client.send(new DeleteObjectCommand({ Bucket: 'conformance', Key: 'direct/points/p1/manifest', VersionId: head.VersionId }))).toBeRejectedWith(
        jasmine.objectContaining({ name: 'AccessDenied' }),
      );
      // Shortening is refused by the server too; lengthening shows in HeadObject.
      await expectAsync(
        client.send(new PutObjectRetentionCommand({ Bucket: 'conformance', Key: 'direct/points/p1/manifest', VersionId: head.VersionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(until - 60_000) } })),
      ).toBeRejectedWith(jasmine.objectContaining({ name: 'AccessDenied' }));
      expect(await backend.lock('points/p1/manifest', until + 86_400_000, signal)).toBe(Math.ceil((until + 86_400_000) / 1000) * 1000);
      const after = await client.send(new HeadObjectCommand({ Bucket: 'conformance', Key: 'direct/points/p1/manifest' }));
      expect(after.ObjectLockRetainUntilDate?.getTime()).toBe(Math.ceil((until + 86_400_000) / 1000) * 1000);
      expect(Buffer.compare(Buffer.from(await backend.get('points/p1/manifest', signal)), Buffer.from(body))).toBe(0);
    });

    it('refuses a bucket without Object Lock when immutability is asked for, and creates one with it', async () => {
      const { client } = ceph();
      const plain = await prepareBucket(client, 'made-with-lock', true, signal);
      expect(plain).toEqual({ created: true, objectLock: true });
      expect(await prepareBucket(client, 'made-with-lock', true, signal)).toEqual({ created: false, objectLock: true });
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await client.send(new CreateBucketCommand({ Bucket: 'no-lock' }));
      await expectAsync(prepareBucket(client, 'no-lock', true, signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-refused' }));
      expect(await prepareBucket(client, 'no-lock', false, signal)).toEqual({ created: false, objectLock: false });
    });
  });
});
