import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local';
import { keys, WRITERS } from '../../lib/adapters/dynamodb/table-schema';
import { auditStore } from '../../lib/audit/audit';
import { repairStore } from '../../lib/audit/repair';
import { createAuditPorts, createRepairPorts } from '../../lib/audit-service';
import { loadPipelineConfig } from '../../lib/config';
import type { ImageView } from '../../lib/domain/image';
import { createRerenderDependencies } from '../../lib/renderer-service';
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

/** `npm run audit`'s configuration for this suite's table, bucket and (for `--fix`) jobs queue. */
function auditConfig() {
  return loadPipelineConfig({
    TABLE_NAME: t.api.tableName,
    DYNAMODB_ENDPOINT: t.api.dynamodbEndpoint,
    AWS_REGION: 'local',
    BUCKET_NAME: t.api.s3?.bucket,
    S3_ENDPOINT: t.api.s3?.endpoint,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    CDN_BASE_URL: t.api.cdnBaseUrl,
    DEAD_LETTER_FILE: t.api.deadLetterFile,
    // The local pipeline's queue engine, started in this process.
    SQS_ENDPOINT: process.env.SQS_ENDPOINT,
    RENDER_QUEUE_URL: process.env.RENDER_QUEUE_URL,
    LOG_LEVEL: 'silent',
  });
}

/** `npm run audit`'s reading, in process, on this suite's table and bucket; objects count as old at once. */
function audit(pendingPatienceMs?: number) {
  const ports = createAuditPorts(auditConfig());
  return auditStore({
    ...ports,
    orphanGraceMs: 0,
    pendingPatienceMs: pendingPatienceMs ?? ports.pendingPatienceMs,
  });
}

describe('npm run audit on DynamoDB Local and s3rver', () => {
  it('finds a whole store whole, then each kind of damage planted in it; --fix makes it whole again', async () => {
    const photo = await photoJpeg(640, 480);
    origin.route('/a.jpg', serve(photo, 'image/jpeg'));
    origin.route('/b.jpg', serve(await photoJpeg(480, 640), 'image/jpeg'));
    await t.http.post({ product_sku: 'audited', images: [{ url: `${origin.url}/a.jpg` }] });
    origin.route('/c.jpg', serve(await photoJpeg(500, 500), 'image/jpeg'));
    await t.http.post({ product_sku: 'other', images: [{ url: `${origin.url}/b.jpg` }] });
    await t.http.post({ product_sku: 'stalled', images: [{ url: `${origin.url}/c.jpg` }] });
    const [image] = (await t.http.waitForImages('audited', ready, 60_000)).images;
    await t.http.waitForImages('other', ready, 60_000);
    const [stalled] = (await t.http.waitForImages('stalled', ready, 60_000)).images;
    // The settlement's announcement lands a moment after the images are ready.
    await expect.poll(async () => (await audit()).clean, { timeout: 15_000 }).toBe(true);
    const whole = await audit();
    expect(whole.scanned).toMatchObject({ skus: 3, images: 3, contents: 3 });
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
        // As if the mark never happened: the last write was the pipeline's, which the stream ignores.
        UpdateExpression: 'REMOVE #announced SET #writer = :pipeline',
        ExpressionAttributeNames: { '#announced': 'announcedVersion', '#writer': 'writer' },
        ExpressionAttributeValues: { ':pipeline': WRITERS.pipeline },
      }),
    );

    // An image left pending whose job was lost (its worker died mid-way, holding its content).
    const { statuses } = createRerenderDependencies(auditConfig()).deps;
    await statuses.record('stalled', stalled?.id ?? 0, {
      status: 'pending',
      content_sha256: (await statuses.find('stalled'))?.images[0]?.content_sha256,
    });

    // Pending for longer than a patience of nothing: stuck.
    const damaged = await audit(0);
    expect(damaged.clean).toBe(false);
    expect(damaged.findings.missingObjects).toEqual({
      count: 1,
      examples: [`audited image ${image?.id}: ${lost}`],
    });
    expect(damaged.findings.orphanObjects).toEqual({ count: 1, examples: [`v/${'0'.repeat(64)}/160.avif`] });
    expect(damaged.findings.referenceMismatch.count).toBe(1);
    expect(damaged.findings.referenceMismatch.examples[0]).toContain('424242');
    expect(damaged.findings.unannounced.examples).toEqual([expect.stringMatching(/^other version /)]);
    expect(damaged.findings.stuckPending.examples).toEqual([
      expect.stringMatching(new RegExp(`^stalled image ${stalled?.id} pending since`)),
    ]);

    const repair = await repairStore(damaged.damage, createRepairPorts(auditConfig()));
    expect(repair).toEqual({
      orphansDeleted: 1,
      jobsEnqueued: 1,
      setsAnnounced: 1,
      referencesAdded: 0,
      referencesReleased: 1,
      objectsRestored: 1,
      left: [],
    });
    // The restored rendition is served again, the stuck image's job ran, and the store is whole.
    expect((await fetch(image?.variants[0]?.url ?? '')).status).toBe(200);
    await t.http.waitForImages('stalled', ready, 60_000);
    await expect
      .poll(async () => (await audit(0)).findings, { timeout: 20_000 })
      .toMatchObject({
        stuckPending: { count: 0 },
        missingObjects: { count: 0 },
        orphanObjects: { count: 0 },
        referenceMismatch: { count: 0 },
        unannounced: { count: 0 },
      });
  }, 120_000);
});
