/**
 * Estimated monthly cost at 1 million POSTs and 10 million GETs. Prices are AWS's on-demand list prices
 * for us-east-1 (USD); the DynamoDB figures per operation are the ones `npm run bench` measures above.
 */
const PRICE = {
  apiGatewayRestPerMillion: 3.5,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  lambdaX86GbSecond: 0.0000166667,
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  s3PutPerThousand: 0.005,
  s3StorageGbMonth: 0.023,
  cloudWatchLogsIngestGb: 0.5,
  cloudFrontHttpsPer10k: 0.01,
};

const ASSUMPTIONS = {
  posts: 1_000_000,
  gets: 10_000_000,
  /** New images per POST that the pipeline copies (most POSTs restate or reorder). */
  newImagesPerPost: 1,
  /** A 200 KB original and its renditions (about as much again). */
  imageKb: 400,
  itemKb: 2,
  getMs: 40,
  postMs: 60,
  /** A 3 MP photo's whole ladder on x86_64 (`npm run bench -- variants`), plus fetching and storing. */
  pipelineMsPerImage: 2500,
  apiMemoryGb: 0.5,
  pipelineMemoryGb: 2,
  /** Distinct API keys; the authorizer runs once per key per 5-minute cache window. */
  apiKeys: 50,
  logBytesPerRequest: 400,
  /** CDN reads of copies per month; egress bytes are left out (they depend on the storefront). */
  cdnRequests: 50_000_000,
};

export function estimateCost(): string[] {
  const a = ASSUMPTIONS;
  const images = a.posts * a.newImagesPerPost;
  const writeUnitsPerItemWrite = Math.ceil(a.itemKb);
  const rows: Array<[string, number]> = [
    ['API Gateway REST requests', ((a.posts + a.gets) / 1e6) * PRICE.apiGatewayRestPerMillion],
    [
      'Lambda API functions (requests + GB-s)',
      ((a.posts + a.gets) / 1e6) * PRICE.lambdaRequestPerMillion +
        ((a.gets * a.getMs + a.posts * a.postMs) / 1000) * a.apiMemoryGb * PRICE.lambdaArmGbSecond,
    ],
    [
      'Lambda authorizer (cached 5 min per key)',
      ((a.apiKeys * 12 * 24 * 30) / 1e6) * PRICE.lambdaRequestPerMillion,
    ],
    [
      'Lambda pipeline, rendering on x86_64 (GB-s; batched invocations)',
      ((images * a.pipelineMsPerImage) / 1000) * a.pipelineMemoryGb * PRICE.lambdaX86GbSecond,
    ],
    [
      // GET one SKU: 1 strongly consistent read (≤ 4 KB). POST: 1 read + 1 write of the item.
      // Pipeline per image: 1 read + 1 status write.
      'DynamoDB reads and writes',
      ((a.gets + a.posts + images) / 1e6) * PRICE.dynamoReadUnitPerMillion +
        (((a.posts + images) * writeUnitsPerItemWrite) / 1e6) * PRICE.dynamoWriteUnitPerMillion,
    ],
    // The original and 12 renditions (4 rungs × 3 formats) of a photo at least 1920 px wide.
    ['S3 PUTs of originals and renditions', ((images * 13) / 1000) * PRICE.s3PutPerThousand],
    ['S3 storage added (one month)', ((images * a.imageKb) / 1024 / 1024) * PRICE.s3StorageGbMonth],
    [
      'CloudWatch Logs ingestion',
      (((a.posts + a.gets + images) * a.logBytesPerRequest) / 1024 ** 3) * PRICE.cloudWatchLogsIngestGb,
    ],
    ['CloudFront HTTPS requests', (a.cdnRequests / 10_000) * PRICE.cloudFrontHttpsPer10k],
  ];
  const total = rows.reduce((sum, [, cost]) => sum + cost, 0);
  return [
    `Assumptions: ${JSON.stringify(a)}`,
    ...rows.map(([name, cost]) => `  ${name.padEnd(46)} $${cost.toFixed(2).padStart(8)}`),
    `  ${'total (before CDN egress and free tiers)'.padEnd(46)} $${total.toFixed(2).padStart(8)}`,
  ];
}
