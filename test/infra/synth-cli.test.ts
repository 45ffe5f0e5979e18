import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp } from '../../infra/app-factory';

const run = promisify(execFile);
const bin = (name: string) => resolve('node_modules', '.bin', name);
const quiet = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** `cdk synth` as CI and the deploy workflow run it: the CLI, cdk.json, bundling and cdk-nag together. */
let outdir: string;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  await run(bin('cdk'), ['synth', '--quiet', '-c', 'stage=prod', '-o', outdir], { env: quiet });
  template = JSON.parse(readFileSync(join(outdir, 'ProductImages-prod.template.json'), 'utf8'));
});

describe('cdk synth with cdk-nag', () => {
  it('has no unresolved finding, and every acknowledged one carries a reason', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find(
      (plugin: { pluginName: string }) => plugin.pluginName === 'AwsSolutions',
    );
    expect(nag.conclusion).toBe('success');
    expect(nag.violations).toEqual([]);
    expect(nag.suppressedViolations.length).toBeGreaterThan(0);
    for (const suppressed of nag.suppressedViolations) {
      expect(suppressed.reason.length, suppressed.ruleName).toBeGreaterThan(40);
      expect(suppressed.acknowledgedStackTrace).toContain('nag-acknowledgements.ts');
    }
  });

  it('fails synthesis when a resource breaks a rule nobody acknowledged', () => {
    const app = new App({ context: { stage: 'dev' }, outdir: mkdtempSync(join(tmpdir(), 'cdk-bad-')) });
    const stack = createApp(app);
    new Bucket(stack, 'CarelessBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

/** Minimal events that each function answers without reaching AWS. */
const EVENTS: Record<
  string,
  {
    event: unknown;
    expect: (outcome: { result?: unknown; error?: string }) => void;
    /** Variables the function must start without (it reads only its own configuration). */
    without?: string[];
  }
> = {
  'GET /api/i1/downloadable_image/': {
    event: {
      httpMethod: 'GET',
      path: '/api/i1/downloadable_image/',
      resource: '/api/i1/downloadable_image',
      headers: {},
      requestContext: {},
    },
    expect: ({ result }) =>
      expect(result).toMatchObject({
        statusCode: 401,
        body: '{"detail":"Authentication credentials were not provided."}',
      }),
  },
  'POST /api/i1/downloadable_image/': {
    event: {
      httpMethod: 'POST',
      path: '/api/i1/downloadable_image/',
      resource: '/api/i1/downloadable_image',
      headers: {},
      requestContext: {},
    },
    expect: ({ result }) => expect(result).toMatchObject({ statusCode: 401 }),
  },
  'API key authorizer': {
    event: {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api',
      headers: {},
    },
    expect: ({ error }) => expect(error).toBe('Unauthorized'),
    without: ['CDN_BASE_URL', 'PAGE_CURSOR_KEY'],
  },
  // The sweeper's every run starts by asking SQS for the queue's backlog: with no credentials here, that
  // call is what fails, which shows the bundle loaded and read its configuration.
  'pipeline sweeper': {
    event: { time: '2026-12-04T00:00:00Z', detail: {} },
    expect: ({ error }) => expect(error).toMatch(/credentials/i),
  },
  'image pipeline': {
    event: { Records: [] },
    expect: ({ result }) => expect(result).toEqual({ batchItemFailures: [] }),
  },
};

describe('the synthesized bundles', () => {
  it('each import in a fresh Node process and answer a minimal event', async () => {
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    const ours = functions.filter((fn) =>
      String(fn.Properties.Description ?? '').startsWith('product-images'),
    );
    expect(ours).toHaveLength(7);
    for (const fn of ours) {
      const description = String(fn.Properties.Description);
      const [name, check] = Object.entries(EVENTS).find(([key]) => description.includes(key)) ?? [];
      expect(name, description).toBeDefined();
      const assetHash = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const bundle = join(outdir, `asset.${assetHash}`, 'index.mjs');
      const script = `
        const { handler } = await import(${JSON.stringify(bundle)});
        try { console.log(JSON.stringify({ result: await handler(${JSON.stringify(check?.event)}, { awsRequestId: 'r', getRemainingTimeInMillis: () => 10000 }) })); }
        catch (error) { console.log(JSON.stringify({ error: error.message })); }`;
      const omitted = new Set(check?.without ?? []);
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: Object.fromEntries(
          Object.entries({
            PATH: process.env.PATH,
            TABLE_NAME: 'table',
            AWS_REGION: 'eu-west-1',
            BUCKET_NAME: 'bucket',
            CDN_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
            PAGE_CURSOR_KEY: 'synth-test-cursor-key',
            DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
            RENDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
            LOG_LEVEL: 'silent',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          }).filter(([name]) => !omitted.has(name)),
        ),
      });
      const lines = stdout.trim().split('\n');
      check?.expect(JSON.parse(lines[lines.length - 1] ?? '{}'));
    }
  });
});

describe('what a cold start loads', () => {
  const bundles = () =>
    Object.values(template.Resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::Function' &&
          String(resource.Properties.Description ?? '').startsWith('product-images'),
      )
      .map((fn) => {
        const assetHash = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
        return {
          description: String(fn.Properties.Description),
          bundle: join(outdir, `asset.${assetHash}`, 'index.mjs'),
        };
      });

  it('no bundle imports node:stream/web (middy does, for response streaming, which none uses)', () => {
    for (const { description, bundle } of bundles()) {
      expect(readFileSync(bundle, 'utf8'), description).not.toContain('node:stream/web');
    }
  });

  it('the dead-job consumer holds no S3 or EventBridge client, the sweeper only S3 (to finish deletions left)', () => {
    const settling = bundles().filter(({ description }) => /dead jobs|sweeper/.test(description));
    expect(settling).toHaveLength(2);
    for (const { description, bundle } of settling) {
      const code = readFileSync(bundle, 'utf8');
      expect(code, description).not.toMatch(/"PutEvents"/);
      expect(code, description).toMatch(/"SendMessage"/);
      if (description.includes('dead jobs')) expect(code, description).not.toMatch(/"PutObject"|AmazonS3/);
      else expect(code, description).toMatch(/"DeleteObjects"|DeleteObjectCommand/);
    }
    const stream = bundles().find(({ description }) => description.includes('stream consumer'));
    expect(readFileSync(stream?.bundle ?? '', 'utf8')).toMatch(/"PutObject"|"DeleteObjects"/);
  });

  it("the API functions load none of Node's web streams", async () => {
    const api = bundles().filter(({ description }) => /GET|POST|authorizer/.test(description));
    expect(api).toHaveLength(3);
    for (const { description, bundle } of api) {
      // Loaded in a fresh process, as Lambda does: Node's own module list says what was loaded.
      const script = `await import(${JSON.stringify(bundle)}); console.log(JSON.stringify(process.moduleLoadList));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          TABLE_NAME: 'table',
          AWS_REGION: 'eu-west-1',
          CDN_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
          PAGE_CURSOR_KEY: 'synth-test-cursor-key',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      const loaded = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
      expect(loaded.length, description).toBeGreaterThan(50);
      // Node itself loads two small helpers of them in any process that loads the SDK; the S3 client
      // (pipeline only) loads the streams themselves.
      expect(
        loaded.filter((module) =>
          /webstreams\/(readable|writable|transform)stream|\bstream\/web$/.test(module),
        ),
        description,
      ).toEqual([]);
    }
  });
});

describe('sharp in the assets', () => {
  const assetOf = (description: string) => {
    const fn = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        String(resource.Properties.Description).includes(description),
    );
    if (!fn) throw new Error(`no function described as ${description}`);
    const hash = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    return join(outdir, `asset.${hash}`);
  };

  it("ships sharp and its prebuilt linux-x64 libvips beside the renderer's bundle", () => {
    const asset = assetOf('image pipeline renderer');
    const addons = readdirSync(join(asset, 'node_modules/@img/sharp-linux-x64/lib'));
    expect(addons.some((file) => /^sharp-linux-x64.*\.node$/.test(file))).toBe(true);
    const libvips = readdirSync(join(asset, 'node_modules/@img/sharp-libvips-linux-x64/lib'));
    expect(libvips.some((file) => file.startsWith('libvips-cpp.so'))).toBe(true);
    for (const name of ['sharp', '@img/colour', 'detect-libc', 'semver']) {
      expect(existsSync(join(asset, 'node_modules', name, 'package.json')), name).toBe(true);
    }
    expect(readFileSync(join(asset, 'index.mjs'), 'utf8')).toMatch(/from\s*"sharp"/);
  });

  it('keeps sharp out of every bundle but the renderer', () => {
    for (const description of [
      ': GET',
      ': POST',
      'authorizer',
      'stream consumer',
      'pipeline dead jobs',
      'pipeline sweeper',
    ]) {
      const asset = assetOf(description);
      expect(readdirSync(asset).sort(), description).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
      expect(code, description).not.toMatch(/"sharp"|libvips|sharp-linux/);
    }
  });
});

const WORKFLOWS = ['.github/workflows/ci.yml', '.github/workflows/deploy.yml'];

interface WorkflowJob {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps?: Array<{ uses?: string; run?: string; if?: string; with?: Record<string, unknown> }>;
}

function workflow(file: string): { permissions?: Record<string, string>; jobs: Record<string, WorkflowJob> } {
  return parse(readFileSync(file, 'utf8'));
}

describe('GitHub workflows', () => {
  it.each(WORKFLOWS)('%s is a valid workflow', async (file) => {
    await run(bin('action-validator'), [file]);
  });

  it('deploys with OIDC credentials, never stored keys, from a cloud assembly built without them', () => {
    const deploy = workflow('.github/workflows/deploy.yml');
    const text = readFileSync('.github/workflows/deploy.yml', 'utf8');
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
    const { build, deploy: release } = deploy.jobs;
    expect(build?.permissions).toEqual({ contents: 'read' });
    expect(release?.needs).toBe('build');
    expect(release?.environment).toBe('production');
    expect(release?.permissions?.['id-token']).toBe('write');
    const runs = (job: WorkflowJob | undefined) =>
      (job?.steps ?? []).map((step) => step.run ?? '').join('\n');
    expect(runs(build)).toMatch(/cdk synth --quiet -c stage=prod -o cdk.out/);
    // Every stack of the stage: the single one, or one per merchant of the MERCHANTS variable.
    expect(runs(release)).toMatch(/aws-cdk@2\.1148\.1 deploy "ProductImages-\*prod" --app cdk.out/);
    expect(runs(build)).toMatch(/\$\{MERCHANTS:\+-c "merchants=\$MERCHANTS"\}/);
    // A manual run off main fails before anything else runs.
    expect(build?.steps?.[0]).toMatchObject({ if: "github.ref != 'refs/heads/main'" });
    expect(build?.steps?.[0]?.run).toMatch(/exit 1/);
  });

  it.each(WORKFLOWS)('%s: no job that can assume the AWS role installs or runs project code', (file) => {
    for (const [name, job] of Object.entries(workflow(file).jobs)) {
      const permissions = { ...workflow(file).permissions, ...job.permissions };
      if (permissions['id-token'] !== 'write') continue;
      const commands = (job.steps ?? []).map((step) => step.run ?? '').join('\n');
      expect(commands, name).not.toMatch(/npm (ci|install|test|run)|npm t\b|npx (?!--yes aws-cdk@\d)/);
      expect(
        (job.steps ?? []).some((step) => step.uses?.startsWith('actions/checkout')),
        name,
      ).toBe(false);
    }
  });

  it.each(WORKFLOWS)('%s: every action is pinned to a full commit, with its version beside it', (file) => {
    const text = readFileSync(file, 'utf8');
    const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, action, rest] of uses) {
      expect(action, action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, action).toMatch(/# v\d+\.\d+\.\d+/);
    }
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses?.startsWith('actions/checkout@'))
          expect(step.with?.['persist-credentials']).toBe(false);
      }
    }
  });

  it('keeps npm packages and actions up to date, weekly and grouped', () => {
    const config = parse(readFileSync('.github/dependabot.yml', 'utf8')) as {
      updates: Array<{ 'package-ecosystem': string; schedule: { interval: string }; groups?: object }>;
    };
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm',
    ]);
    for (const update of config.updates) {
      expect(update.schedule.interval).toBe('weekly');
      expect(Object.keys(update.groups ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('refuses an invalid workflow (the validator can fail)', async () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'workflow-')), 'broken.yml');
    (await import('node:fs')).writeFileSync(
      broken,
      'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n',
    );
    await expect(run(bin('action-validator'), [broken])).rejects.toThrow();
  });
});
