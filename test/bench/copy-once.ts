import { S3Client } from '@aws-sdk/client-s3';
import { S3ImageObjectStore } from '../../lib/adapters/s3/image-object-store';
import { DEFAULT_FETCH_POLICY, openImage } from '../../lib/pipeline/image-fetcher';

/**
 * Child process of the memory benchmark: copies one image URL to the S3 server and reports its own
 * resident memory before and at the peak of the copy. Arguments: image URL, S3 endpoint, bucket.
 */
const [url = '', endpoint = '', bucket = ''] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint,
  region: 'local',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
});
const store = new S3ImageObjectStore(s3, bucket);
const policy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true };

// Warm every code path on a small copy first, so the baseline holds the loaded modules.
await store.put('warm', (await openImage(url.replace(/[^/]+$/, 'small.png'), policy)).body, 'image/png');
global.gc?.();
await new Promise((resolve) => setTimeout(resolve, 200));
const baseline = process.memoryUsage.rss();
let peak = baseline;
// With COLLECT=1, a minor GC before each sample: the peak is then what the copy keeps alive, not garbage
// V8 has not yet collected.
const collect = process.env.COLLECT === '1';
const sampler = setInterval(() => {
  if (collect) (global.gc as unknown as (options: { type: string }) => void)?.({ type: 'minor' });
  peak = Math.max(peak, process.memoryUsage.rss());
}, 2);
const opened = await openImage(url, policy);
await store.put('big', opened.body, opened.contentType);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
process.stdout.write(JSON.stringify({ baseline, peak, bytes: opened.summary().bytes }));
