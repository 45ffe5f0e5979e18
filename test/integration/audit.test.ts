import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import { auditStore } from '../../lib/audit/audit';
import { createAuditPorts } from '../../lib/audit-service';
import { loadPipelineConfig } from '../../lib/config';
import type { ImageView } from '../../lib/domain/image';
import { cdnBucket } from '../helpers/cdn-bucket';
import { documentClientFor, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { photoJpeg } from '../helpers/photos';

/** DynamoDB Local, s3rver and the pipeline: the audit reads what they hold. */
const t = useTestApi({ withPipeline: true });
let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
});
afterAll(() => origin.close());

const ready = (images: ImageView[]) => images.length > 0 && images.every((image) => image.status === 'ready');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `npm run audit`'s reading, in process, on this suite's table and bucket; objects count as old at once. */
function audit() {
  const config = loadPipelineConfig({
    TABLE_NAME: t.api.tableName,
    DYNAMODB_ENDPOINT: t.api.dynamodbEndpoint,
    AWS_REGION: 'local',
    BUCKET_NAME: t.api.s3?.bucket,
    S3_ENDPOINT: t.api.s3?.endpoint,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    CDN_BASE_URL: t.api.cdnBaseUrl,
    DEAD_LETTER_FILE: t.api.deadLetterFile,
    LOG_LEVEL: 'silent',
  });
  return auditStore({ ...createAuditPorts(config), orphanGraceMs: 0 });
}

describe('npm run audit on DynamoDB Local and s3rver', () => {
  it('finds a whole store whole, then each kind of damage planted in it', async () => {
    const photo = await photoJpeg(640, 480);
    origin.route('/a.jpg', serve(photo, 'image/jpeg'));
    origin.route('/b.jpg', serve(await photoJpeg(480, 640), 'image/jpeg'));
    await t.http.post({ product_sku: 'audited', images: [{ url: `${origin.url}/a.jpg` }] });
    await t.http.post({ product_sku: 'other', images: [{ url: `${origin.url}/b.jpg` }] });
    const [image] = (await t.http.waitForImages('audited', ready, 60_000)).images;
    await t.http.waitForImages('other', ready, 60_000);
    // The settlement's announcement lands a moment after the images are ready.
    await expect.poll(async () => (await audit()).clean, { timeout: 15_000 }).toBe(true);
    const whole = await audit();
    expect(whole.scanned).toMatchObject({ skus: 2, images: 2, contents: 2 });
    expect(whole.scanned.objects).toBeGreaterThan(20);

    const hash = sha256(photo);
    const s3 = cdnBucket(t).client();
    const bucket = t.api.s3?.bucket;
    const lost = image?.variants[0]?.url.replace(`${t.api.cdnBaseUrl}/`, '') ?? '';
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lost }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `v/${'0'.repeat(64)}/160.avif`,
        Body: 'x',
        ContentType: 'image/avif',
      }),
    );
    const client = documentClientFor(t.api);
    await client.send(
      new UpdateCommand({
        TableName: t.api.tableName,
        Key: keys.content(hash),
        UpdateExpression: 'ADD #refs :ref',
        ExpressionAttributeNames: { '#refs': 'refs' },
        ExpressionAttributeValues: { ':ref': new Set([424242]) },
      }),
    );
    await client.send(
      new UpdateCommand({
        TableName: t.api.tableName,
        Key: keys.sku('other'),
        UpdateExpression: 'REMOVE #announced',
        ExpressionAttributeNames: { '#announced': 'announcedVersion' },
      }),
    );

    const damaged = await audit();
    expect(damaged.clean).toBe(false);
    expect(damaged.findings.missingObjects).toEqual({
      count: 1,
      examples: [`audited image ${image?.id}: ${lost}`],
    });
    expect(damaged.findings.orphanObjects).toEqual({ count: 1, examples: [`v/${'0'.repeat(64)}/160.avif`] });
    expect(damaged.findings.referenceMismatch.count).toBe(1);
    expect(damaged.findings.referenceMismatch.examples[0]).toContain('424242');
    expect(damaged.findings.unannounced.examples).toEqual([expect.stringMatching(/^other version /)]);
    expect(damaged.findings.stuckPending.count).toBe(0);
  }, 120_000);
});
