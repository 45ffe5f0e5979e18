import { createReadStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_REGION, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { S3RVER_CREDENTIALS, startS3Local } from '../../infra/local/s3-local';
import { prepareTable } from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoContentStore } from '../../lib/adapters/dynamodb/content-store';
import { DynamoImageSetRepository } from '../../lib/adapters/dynamodb/image-set-repository';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { DynamoKnownUrlStore } from '../../lib/adapters/dynamodb/known-url-store';
import { S3ImageObjectStore } from '../../lib/adapters/s3/image-object-store';
import { DEFAULT_AVIF_EFFORT, DEFAULT_VARIANT_WIDTHS } from '../../lib/domain/variant-ladder';
import { createLogger } from '../../lib/logger';
import { createMetrics, PipelineMetrics } from '../../lib/metrics';
import type { ImageSetChangeRecord } from '../../lib/pipeline/changes';
import { createLimiter } from '../../lib/pipeline/concurrency';
import { DEFAULT_CONTENT_TIMING } from '../../lib/pipeline/content-publisher';
import { DEFAULT_FETCH_POLICY, openImage } from '../../lib/pipeline/image-fetcher';
import { processChanges } from '../../lib/pipeline/process-changes';
import { processImageJobs, type RenderingDependencies } from '../../lib/pipeline/render-jobs';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import { png } from '../helpers/images';
import { MemoryContentStore } from '../helpers/memory-content-store';
import { MemoryJobQueue, MemoryObjectStore, MemoryStatusStore } from '../helpers/memory-pipeline';

const _MiB = 1024 * 1024;

/** An origin serving files from disk, each answer after `latencyMs`. */
async function startFileOrigin(
  directory: string,
  latencyMs: number,
): Promise<{ url: string; close(): void }> {
  const server = createServer((request, response) => {
    const file = join(directory, new URL(request.url ?? '/', 'http://x').pathname.slice(1));
    setTimeout(() => {
      try {
        const { size } = statSync(file);
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': size });
        createReadStream(file).pipe(response);
      } catch {
        response.writeHead(404).end();
      }
    }, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

export async function measureBatchConcurrency(): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-origin-'));
  writeFileSync(join(directory, 'image.png'), png(32, 32));
  const origin = await startFileOrigin(directory, 50);
  const s3 = await startS3Local({ bucket: 'bench' });
  const dynamo = await startDynamoDbLocal();
  try {
    await prepareTable(dynamo.endpoint, 'bench-pipeline');
    const documents = createDocumentClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
    const repository = new DynamoImageSetRepository(documents, 'bench-pipeline');
    const s3Client = new S3Client({
      endpoint: s3.endpoint,
      region: LOCAL_REGION,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const policy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true };
    const logger = createLogger({ level: 'silent' });
    const metrics = createMetrics('bench', logger);
    const base: Omit<RenderingDependencies, 'skuConcurrency' | 'imageConcurrency' | 'jobs'> = {
      statuses: new DynamoImageStatusStore(documents, 'bench-pipeline'),
      objects: new S3ImageObjectStore(s3Client, 'bench'),
      open: (url, known) => openImage(url, policy, undefined, known),
      urls: new DynamoKnownUrlStore(documents, 'bench-pipeline'),
      deadLetters: { send: async () => undefined },
      logger,
      metrics,
      pipelineMetrics: new PipelineMetrics(metrics),
      events: { publish: async () => undefined },
      cdnBaseUrl: s3.publicBaseUrl,
      maxAttempts: 3,
      retryBaseDelaySeconds: 30,
      contents: new DynamoContentStore(documents, 'bench-pipeline'),
      render: (bytes) =>
        renderImage(bytes, {
          widths: DEFAULT_VARIANT_WIDTHS,
          avifEffort: DEFAULT_AVIF_EFFORT,
          maxPixels: DEFAULT_MAX_PIXELS,
        }),
      renderLimit: createLimiter(2),
      inFlightLimit: createLimiter(128),
      contentTiming: DEFAULT_CONTENT_TIMING,
    };

    let nextId = 1;
    const batch = async (run: string): Promise<ImageSetChangeRecord[]> => {
      const records: ImageSetChangeRecord[] = [];
      for (let i = 0; i < 100; i++) {
        const sku = `${run}-${i}`;
        const images = [
          {
            id: nextId++,
            url: `${origin.url}/image.png?${sku}`,
            order: 0,
            image_type: 'default' as const,
            status: 'pending' as const,
          },
        ];
        await repository.save({ sku, expectedRevision: null, next: { version: 'v', images } });
        records.push({ sequenceNumber: String(nextId), sku, before: [], after: images });
      }
      return records;
    };
    const streamMsPerRecord: number[] = [];
    // The stream consumer's batch (it enqueues one job per image), then the renderer's jobs.
    const runPipeline = async (
      records: ImageSetChangeRecord[],
      deps: Omit<RenderingDependencies, 'skuConcurrency' | 'imageConcurrency' | 'jobs'>,
      skuConcurrency: number,
      imageConcurrency: number,
    ) => {
      const jobs = new MemoryJobQueue();
      const all = { ...deps, jobs, skuConcurrency, imageConcurrency };
      const started = performance.now();
      const { failed } = await processChanges(records, all);
      streamMsPerRecord.push((performance.now() - started) / records.length);
      const outcome = await processImageJobs(
        jobs.take().map((job, index) => ({ messageId: String(index), job })),
        all,
      );
      if (failed.length + outcome.failed.length > 0) throw new Error('records or jobs failed');
    };
    const time = async (
      records: ImageSetChangeRecord[],
      skuConcurrency: number,
      imageConcurrency: number,
    ) => {
      const started = performance.now();
      await runPipeline(records, base, skuConcurrency, imageConcurrency);
      return performance.now() - started;
    };

    await time(await batch('warm'), 32, 4);
    const serialMs: number[] = [];
    const parallelMs: number[] = [];
    for (let round = 0; round < 3; round++) {
      serialMs.push(await time(await batch(`serial${round}`), 1, 1));
      parallelMs.push(await time(await batch(`parallel${round}`), 32, 4));
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const serial = median(serialMs);
    const parallel = median(parallelMs);
    // The same batches with storage in memory: what concurrency gains against origin latency alone,
    // without the local engines' CPU (which shares this machine's two cores) in the way.
    const statuses = new MemoryStatusStore();
    const isolated = {
      ...base,
      statuses,
      objects: new MemoryObjectStore(),
      contents: new MemoryContentStore(),
    };
    const timeIsolated = async (run: string, skuConcurrency: number) => {
      const records = await batch(run);
      for (const record of records) {
        statuses.sets.set(record.sku, {
          sku: record.sku,
          version: 'v',
          revision: 1,
          images: structuredClone([...record.after]),
        });
      }
      const started = performance.now();
      await runPipeline(records, isolated, skuConcurrency, skuConcurrency === 1 ? 1 : 4);
      return performance.now() - started;
    };
    const isolatedSerial = median([
      await timeIsolated('mserial0', 1),
      await timeIsolated('mserial1', 1),
      await timeIsolated('mserial2', 1),
    ]);
    const isolatedParallel = median([
      await timeIsolated('mparallel0', 32),
      await timeIsolated('mparallel1', 32),
      await timeIsolated('mparallel2', 32),
    ]);
    return [
      `Stream consumer, per record (enqueues the record's jobs; DynamoDB Local and in memory): median ${median(streamMsPerRecord).toFixed(2)} ms (goal < 20 ms)`,
      'Batch of 100 images over 100 SKUs, origin latency 50 ms (median of 3 rounds each; goal ≥ 5×):',
      `  DynamoDB Local + s3rver: one image at a time ${serial.toFixed(0)} ms; pipeline (32 SKUs at once, its default) ${parallel.toFixed(0)} ms; ${(serial / parallel).toFixed(1)}×`,
      `  storage in memory:       one image at a time ${isolatedSerial.toFixed(0)} ms; pipeline ${isolatedParallel.toFixed(0)} ms; ${(isolatedSerial / isolatedParallel).toFixed(1)}×`,
    ];
  } finally {
    origin.close();
    await s3.stop();
    await dynamo.stop();
  }
}
