import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** ESM bundles that hold the AWS SDK need `require` for its CommonJS parts. */
export const REQUIRE_SHIM =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export interface ServiceFunctionProps {
  /** The entry point under `functions/`. */
  entry: string;
  description: string;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  memorySize?: number;
  timeout?: Duration;
  /** arm64 unless said otherwise. */
  architecture?: Architecture;
  /** Ships sharp with its linux-x64 binaries beside the bundle (native code esbuild cannot bundle). */
  withSharp?: boolean;
}

/** What every bundle loads instead of `node:stream/web` (see the module for why). */
export const STREAM_WEB_STAND_IN = fileURLToPath(
  new URL('../bundling/stream-web-on-demand.ts', import.meta.url),
);

/**
 * sharp and what it loads at run time, copied from the project's own install: the prebuilt libvips
 * comes from npm (`@img/sharp-libvips-linux-x64`), nothing is compiled. A synth on a machine whose
 * install lacks the linux-x64 binaries stops with how to get them.
 */
export const SHARP_PACKAGES = [
  'sharp',
  '@img/sharp-linux-x64',
  '@img/sharp-libvips-linux-x64',
  '@img/colour',
  'detect-libc',
  'semver',
] as const;
/** Where sharp's compiled addon for Linux x64 sits (its file name carries the version). */
export const SHARP_BINARY_DIRECTORY = '@img/sharp-linux-x64/lib';

function copySharp(inputDir: string, outputDir: string): string[] {
  return [
    `ls "${inputDir}/node_modules/${SHARP_BINARY_DIRECTORY}"/*.node >/dev/null 2>&1 || { echo "sharp's linux-x64 binaries are missing: run npm install --os=linux --cpu=x64 sharp" >&2; exit 1; }`,
    `mkdir -p "${outputDir}/node_modules/@img"`,
    ...SHARP_PACKAGES.map(
      (name) => `cp -R "${inputDir}/node_modules/${name}" "${outputDir}/node_modules/${name}"`,
    ),
  ];
}

/**
 * A Lambda function with this service's defaults set once: the latest Node.js runtime on arm64, a
 * minified ESM bundle with the AWS SDK inside and a source map beside it (used only when the
 * environment sets `NODE_OPTIONS=--enable-source-maps`), its own log group with retention, and a
 * role of its own that starts with nothing but writing to that log group.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: props.architecture ?? Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
      bundling: {
        format: OutputFormat.ESM,
        // Syntax Node 20 runs too, so local mode and tests run what Lambda runs.
        target: 'node20',
        minify: true,
        sourceMap: true,
        bundleAwsSDK: true,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        esbuildArgs: { '--alias': `node:stream/web=${STREAM_WEB_STAND_IN}` },
        logLevel: LogLevel.WARNING,
        ...(props.withSharp
          ? {
              externalModules: ['sharp'],
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: copySharp,
              },
            }
          : {}),
      },
    });
  }

  /** Adds one least-privilege statement to the function's role. */
  allow(actions: string[], resources: string[]): void {
    this.role.addToPolicy(new PolicyStatement({ actions, resources }));
  }
}
