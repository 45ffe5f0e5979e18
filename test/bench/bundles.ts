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

type Environment = Record<string, string>;

const FLOOR_ENVIRONMENT: Environment = { TABLE_NAME: 't', AWS_REGION: 'eu-west-1' };

/**
 * A function's environment as deployed: literal values as they are, values CloudFormation fills in
 * (table name, queue URL, CDN domain) replaced by stand-ins of the same kind.
 */
function deployedEnvironment(variables: Record<string, unknown> = {}): Environment {
  const environment: Environment = { AWS_REGION: 'eu-west-1' };
  for (const [name, value] of Object.entries(variables)) {
    environment[name] =
      typeof value === 'string'
        ? value
        : name.endsWith('_URL')
          ? 'https://stand-in.example'
          : 'stand-in-for-a-cloudformation-value';
  }
  return environment;
}

/** Milliseconds to import `bundle` in a fresh Node process with `environment` (NODE_OPTIONS included), measured inside it. */
async function coldImportOnceMs(bundle: string, environment: Environment): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...environment },
  });
  return Number(stdout.trim());
}

interface Candidate {
  name: string;
  bundle: string;
  environment: Environment;
  samples: number[];
}

/** Medians of `runs` cold imports each, taken round-robin so that machine noise falls on every candidate alike. */
async function measureSideBySide(candidates: Candidate[], runs: number): Promise<void> {
  for (let i = 0; i < runs; i++) {
    for (const candidate of candidates)
      candidate.samples.push(await coldImportOnceMs(candidate.bundle, candidate.environment));
  }
}

const median = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? Number.NaN;

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
      {
        Type: string;
        Properties: {
          Description?: string;
          Code?: { S3Key?: string };
          Environment?: { Variables?: Record<string, unknown> };
        };
      }
    >;
  };
  const baseline = await baselineBundle(mkdtempSync(join(tmpdir(), 'bench-baseline-')));
  const runs = 21;
  const floor: Candidate = {
    name: 'DynamoDB document client only',
    bundle: baseline,
    environment: FLOOR_ENVIRONMENT,
    samples: [],
  };
  const candidates: Candidate[] = [floor];
  const functions = Object.values(template.Resources).filter(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Properties.Description?.startsWith('product-images'),
  );
  const measured: Array<{ deployed: Candidate; mapped: Candidate }> = [];
  for (const fn of functions) {
    const bundle = join(outdir, `asset.${fn.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`, 'index.mjs');
    const environment = deployedEnvironment(fn.Properties.Environment?.Variables);
    const name = (fn.Properties.Description ?? '').replace('product-images: ', '');
    const deployed: Candidate = { name, bundle, environment, samples: [] };
    // The same bundle with source maps on (`-c debug=true`), for the ratio.
    const mapped: Candidate = {
      name,
      bundle,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      samples: [],
    };
    measured.push({ deployed, mapped });
    candidates.push(deployed, mapped);
  }
  await measureSideBySide(candidates, runs);
  const floorSize = statSync(baseline).size;
  const floorMs = median(floor.samples);
  const lines = [
    `Bundles as synthesized (minified ESM, SDK inside), cold import with each function's deployed environment, median of ${runs} fresh processes each, taken round-robin:`,
    `  ${floor.name.padEnd(44)} ${(floorSize / KB).toFixed(0).padStart(4)} KB  ${floorMs.toFixed(0).padStart(4)} ms  (1.00× / 1.00×)`,
  ];
  for (const { deployed, mapped } of measured) {
    const size = statSync(deployed.bundle).size;
    const ms = median(deployed.samples);
    lines.push(
      `  ${deployed.name.padEnd(44)} ${(size / KB).toFixed(0).padStart(4)} KB  ${ms.toFixed(0).padStart(4)} ms  (${(size / floorSize).toFixed(2)}× size / ${(ms / floorMs).toFixed(2)}× import; ${(median(mapped.samples) / floorMs).toFixed(2)}× with source maps on)`,
    );
  }
  lines.push('  (goal: at most 1.15× import for GET and POST)');
  return lines;
}
