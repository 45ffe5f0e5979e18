import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** What the benches read of a synthesized template: the functions, their code and environment. */
interface SynthesizedTemplate {
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
}

// Lambda's Node 24 prints no support warning; Node 20 here would print one per process, for every bundle.
const RUNTIME_ENVIRONMENT: Environment = {
  AWS_REGION: 'eu-west-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const FLOOR_ENVIRONMENT: Environment = { ...RUNTIME_ENVIRONMENT, TABLE_NAME: 't' };

/**
 * A function's environment as deployed: literal values as they are, values CloudFormation fills in
 * (table name, queue URL, CDN domain) replaced by stand-ins of the same kind.
 */
function deployedEnvironment(variables: Record<string, unknown> = {}): Environment {
  const environment: Environment = { ...RUNTIME_ENVIRONMENT };
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

/**
 * Instructions a fresh Node process executes to import `bundle`, counted by valgrind's callgrind: a
 * count, not a time, so however busy the machine is the same bundle gives about the same figure (a
 * process varies by about 1 %, the median of three by less), where medians of milliseconds move by
 * 10 % between runs here. V8 runs single-threaded so that its compiler and collector threads add no
 * scheduling noise. A process that imports an empty module is subtracted, which leaves the import.
 */
async function instructionsOf(bundle: string, environment: Environment): Promise<number> {
  const counts = [];
  for (let i = 0; i < 3; i++) counts.push(await instructionsOnce(bundle, environment));
  return median(counts);
}

async function instructionsOnce(bundle: string, environment: Environment): Promise<number> {
  const { stderr } = await run(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(bundle)})`,
    ],
    { env: { PATH: process.env.PATH, ...environment }, maxBuffer: 10_000_000 },
  );
  const collected = /Collected : (\d+)/.exec(stderr)?.[1];
  if (!collected) throw new Error(`callgrind counted nothing for ${bundle}`);
  return Number(collected);
}

async function hasValgrind(): Promise<boolean> {
  try {
    await run('valgrind', ['--version']);
    return true;
  } catch {
    return false;
  }
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
  const template = JSON.parse(
    readFileSync(join(outdir, 'ProductImages-prod.template.json'), 'utf8'),
  ) as SynthesizedTemplate;
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
  const earlier = process.env.BENCH_BASELINE_REVISION
    ? await bundlesOfRevision(process.env.BENCH_BASELINE_REVISION)
    : [];
  candidates.push(...earlier);
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
  for (const candidate of earlier) {
    const size = statSync(candidate.bundle).size;
    const ms = median(candidate.samples);
    const now = measured.find(({ deployed }) => candidate.name.startsWith(deployed.name))?.deployed;
    const change = now
      ? ` — today ${((median(now.samples) / ms - 1) * 100).toFixed(0)} % slower to import, ${(((now ? statSync(now.bundle).size : size) / size - 1) * 100).toFixed(0)} % larger`
      : '';
    lines.push(
      `  ${candidate.name.padEnd(44)} ${(size / KB).toFixed(0).padStart(4)} KB  ${ms.toFixed(0).padStart(4)} ms  (${(size / floorSize).toFixed(2)}× size / ${(ms / floorMs).toFixed(2)}× import)${change}`,
    );
  }
  lines.push(...(await instructionLines([floor, ...measured.map(({ deployed }) => deployed), ...earlier])));
  lines.push('  (goal: at most 1.15× import for GET and POST)');
  return lines;
}

/** The same bundles' imports in instructions (the first candidate is the floor), where valgrind is installed. */
async function instructionLines(candidates: Candidate[]): Promise<string[]> {
  if (!(await hasValgrind())) return ['  (valgrind is not installed: no instruction counts)'];
  const empty = join(mkdtempSync(join(tmpdir(), 'bench-empty-')), 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => null;\n');
  const processAlone = await instructionsOf(empty, FLOOR_ENVIRONMENT);
  const lines = [
    'Instructions to import each bundle (callgrind, V8 single-threaded, median of 3 processes each, a process importing an empty module subtracted):',
  ];
  let floorCount = Number.NaN;
  for (const candidate of candidates) {
    const count = (await instructionsOf(candidate.bundle, candidate.environment)) - processAlone;
    if (Number.isNaN(floorCount)) floorCount = count;
    lines.push(
      `  ${candidate.name.padEnd(44)} ${(count / 1e6).toFixed(0).padStart(5)} M  (${(count / floorCount).toFixed(2)}×)`,
    );
  }
  return lines;
}

/**
 * The function bundles of an earlier revision (`BENCH_BASELINE_REVISION=<rev> npm run bench --
 * bundles`), synthesized from a temporary git worktree with this checkout's node_modules, measured in
 * the same round-robin as today's.
 */
async function bundlesOfRevision(revision: string): Promise<Candidate[]> {
  const worktree = mkdtempSync(join(tmpdir(), 'bench-revision-'));
  await run('git', ['worktree', 'add', '--detach', worktree, revision]);
  try {
    symlinkSync(join(process.cwd(), 'node_modules'), join(worktree, 'node_modules'));
    const outdir = join(worktree, 'cdk.out.bench');
    await run(
      join(worktree, 'node_modules/.bin/cdk'),
      ['synth', '--quiet', '-c', 'stage=prod', '-o', outdir],
      {
        cwd: worktree,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        maxBuffer: 20_000_000,
      },
    );
    const template = JSON.parse(
      readFileSync(join(outdir, 'ProductImages-prod.template.json'), 'utf8'),
    ) as SynthesizedTemplate;
    const copies = mkdtempSync(join(tmpdir(), 'bench-revision-bundles-'));
    return Object.values(template.Resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::Function' &&
          resource.Properties.Description?.startsWith('product-images'),
      )
      .map((fn, index) => {
        const name = (fn.Properties.Description ?? '').replace('product-images: ', '');
        // The whole asset: the renderer's (then every pipeline function's) has sharp beside its bundle.
        const asset = join(copies, String(index));
        cpSync(join(outdir, `asset.${fn.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`), asset, {
          recursive: true,
        });
        const environment = {
          ...deployedEnvironment(fn.Properties.Environment?.Variables),
          PAGE_CURSOR_KEY: 'stand-in-for-a-cloudformation-value',
        };
        return { name: `${name} at ${revision}`, bundle: join(asset, 'index.mjs'), environment, samples: [] };
      });
  } finally {
    await run('git', ['worktree', 'remove', '--force', worktree]);
  }
}
