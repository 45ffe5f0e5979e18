import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local';
import type { TestApi } from './local-api';

/** Reads the keys of the CDN origin of a suite that runs the pipeline (`useTestApi({ withPipeline: true })`). */
export function cdnBucket(t: { api: TestApi }) {
  let s3: S3Client | undefined;
  const client = () =>
    (s3 ??= new S3Client({
      endpoint: t.api.s3?.endpoint,
      region: 'local',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    }));

  /** The keys under `prefix`, sorted. */
  const objectKeys = async (prefix: string): Promise<string[]> => {
    const listing = await client().send(
      new ListObjectsV2Command({ Bucket: t.api.s3?.bucket, Prefix: prefix }),
    );
    return (listing.Contents ?? []).map((object) => object.Key ?? '').sort();
  };

  /** Every stored object of one content: its original, then its renditions. */
  const contentObjects = async (sha256: string | null | undefined): Promise<string[]> => {
    if (!sha256) throw new Error('the image has no content hash');
    return [...(await objectKeys(`o/${sha256}/`)), ...(await objectKeys(`v/${sha256}/`))];
  };

  return { objectKeys, contentObjects, client, bucket: () => t.api.s3?.bucket };
}
