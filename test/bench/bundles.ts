import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { createApp } from '../../infra/app-factory';
import { REQUIRE_SHIM } from '../../infra/constructs/service-function';

const run = promisify(execFile);
const KB = 1024;

/** Median time to import `bundle` in a fresh Node process, measured inside it (Node's own start excluded). */
async function coldImportMs(bundle: string, runs: number): Promise<number> {
  const samples: number[] = [];
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`;
  const env = {
    PATH: process.env.PATH,
    TABLE_NAME: 't',
    AWS_REGION: 'eu-west-1',
    BUCKET_NAME: 'b',
    CDN_BASE_URL: 'https://cdn.example',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
    samples.push(Number(stdout.trim()));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/** The yardstick: a bundle holding only the DynamoDB document client, built with the functions' options. */
async function baselineBundle(directory: string): Promise<string> {
  const entry = join(directory, 'baseline.ts');
  writeFileSync(
    entry,
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\n" +
      'const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\nexport const handler = async () => client.config.region;\n',
  );
  const outfile = join(directory, 'baseline.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    nodePaths: [join(process.cwd(), 'node_modules')],
    logLevel: 'error',
  });
  return outfile;
}

export async function measureBundles(): Promise<string[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-cdk-'));
  const app = new App({ context: { stage: 'prod' }, outdir });
  createApp(app);
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, 'ProductImages-prod.template.json'), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }
    >;
  };
  const baseline = await baselineBundle(mkdtempSync(join(tmpdir(), 'bench-baseline-')));
  const runs = 15;
  const baselineSize = statSync(baseline).size;
  const baselineMs = await coldImportMs(baseline, runs);
  const lines = [
    `Bundles as synthesized (minified ESM, SDK inside), cold import median of ${runs} fresh processes each:`,
    `  ${'DynamoDB document client only'.padEnd(44)} ${(baselineSize / KB).toFixed(0).padStart(4)} KB  ${baselineMs.toFixed(0).padStart(4)} ms  (1.00× / 1.00×)`,
  ];
  const functions = Object.values(template.Resources).filter(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Properties.Description?.startsWith('product-images'),
  );
  for (const fn of functions) {
    const bundle = join(outdir, `asset.${fn.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`, 'index.mjs');
    const size = statSync(bundle).size;
    const ms = await coldImportMs(bundle, runs);
    const name = (fn.Properties.Description ?? '').replace('product-images: ', '');
    lines.push(
      `  ${name.padEnd(44)} ${(size / KB).toFixed(0).padStart(4)} KB  ${ms.toFixed(0).padStart(4)} ms  (${(size / baselineSize).toFixed(2)}× size / ${(ms / baselineMs).toFixed(2)}× import)`,
    );
  }
  lines.push('  (goal: at most 1.5× for GET and POST)');
  return lines;
}
