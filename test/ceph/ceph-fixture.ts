/**
 * One throwaway Ceph cluster (ceph-cluster.ts) for the specs of one describe block: started in
 * its beforeAll, stopped in its afterAll. Each spec takes a fresh prefix (or bucket) of its own,
 * so the cluster is shared without the specs seeing each other's objects. Without the Ceph
 * binaries the beforeAll fails with the packages to install: the S3 suites never pass silently.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { s3Client, type S3Credentials, type S3Location } from '../../plugin-server/src/store/backend/s3-backend.js';
import { startCephCluster, type CephCluster } from './ceph-cluster.js';

export interface CephFixture {
  readonly cluster: CephCluster;
  readonly credentials: S3Credentials;
  /** A client with the S3 user's credentials, for checks straight through the S3 API. */
  readonly client: S3Client;
  /** A location in `bucket` (Lifeline-style settings: path-style, region us-east-1). */
  location(bucket: string, prefix?: string): S3Location;
}

export function useCephCluster(): () => CephFixture {
  let fixture: CephFixture | undefined;
  beforeAll(async () => {
    const cluster = await startCephCluster();
    const credentials = { accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey };
    const location = (bucket: string, prefix = ''): S3Location => ({ endpoint: cluster.endpoint, region: 'us-east-1', bucket, prefix, forcePathStyle: true });
    fixture = { cluster, credentials, client: await s3Client(location('x'), { credentials }), location };
  }, 180_000);
  afterAll(async () => {
    fixture?.client.destroy();
    await fixture?.cluster.stop();
  }, 120_000);
  return () => {
    if (!fixture) throw new Error('the Ceph cluster did not start (see the failure of beforeAll)');
    return fixture;
  };
}
