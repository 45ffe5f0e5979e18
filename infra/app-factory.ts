import { Annotations, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseVariantWidths } from '../lib/domain/variant-ladder';
import { acknowledgeFindings } from './nag-acknowledgements';
import { ProductImagesStack } from './stack';
import { MERCHANT_PATTERN, stageName } from './stages';

/** The merchants of `-c merchants=acme,globex`; none when the option is absent or empty. */
function merchantsOf(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  const merchants = String(value)
    .split(',')
    .map((merchant) => merchant.trim())
    .filter(Boolean);
  for (const merchant of merchants) {
    if (!MERCHANT_PATTERN.test(merchant))
      throw new Error(
        `-c merchants: "${merchant}" is not lower-case letters, digits and dashes (at most 30)`,
      );
  }
  if (new Set(merchants).size !== merchants.length)
    throw new Error('-c merchants: a merchant is listed twice');
  return merchants;
}

/**
 * The CDK app: for the stage given as `-c stage=…`, one stack, or with `-c merchants=acme,globex` one
 * stack per merchant (`ProductImages-<merchant>-<stage>`), each with its own table, bucket, CDN, bus,
 * keys and usage plans, deployable and destroyable on its own. Checked by cdk-nag's AWS Solutions rules.
 */
export function createStacks(app: App): ProductImagesStack[] {
  const merchants = merchantsOf(app.node.tryGetContext('merchants'));
  const stacks =
    merchants.length === 0 ? [createStack(app)] : merchants.map((merchant) => createStack(app, merchant));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}

/** The single stack of the stage (the app without `-c merchants`). */
export function createApp(app: App): ProductImagesStack {
  const [stack] = createStacks(app);
  if (!stack) throw new Error('no stack');
  return stack;
}

function createStack(app: App, merchant?: string): ProductImagesStack {
  const stage = stageName(app.node.tryGetContext('stage'));
  const cdnDomainName = app.node.tryGetContext('cdnDomain');
  const cdnCertificateArn = app.node.tryGetContext('cdnCertificateArn');
  if (Boolean(cdnDomainName) !== Boolean(cdnCertificateArn)) {
    throw new Error('give both -c cdnDomain=… and -c cdnCertificateArn=…, or neither');
  }
  const debug = app.node.tryGetContext('debug');
  const variantWidths = app.node.tryGetContext('variantWidths');
  const stack = new ProductImagesStack(
    app,
    merchant ? `ProductImages-${merchant}-${stage}` : `ProductImages-${stage}`,
    {
      stage,
      merchant,
      debug: debug === true || debug === 'true',
      alarmEmail: app.node.tryGetContext('alarmEmail') || undefined,
      // Checked here, at synth, so a wrong list never reaches a deployed renderer.
      variantWidths: parseVariantWidths(variantWidths === undefined ? undefined : String(variantWidths)),
      cdnDomain: cdnDomainName
        ? { name: String(cdnDomainName), certificateArn: String(cdnCertificateArn) }
        : undefined,
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
      description: `Product Image API (downloadable_image), ${merchant ? `${merchant}, ` : ''}${stage}`,
    },
  );
  if (stage === 'prod' && !cdnDomainName) {
    Annotations.of(stack).addWarningV2(
      'product-images:no-cdn-domain',
      "prod has no custom CDN domain: images are served from *.cloudfront.net with CloudFront's default " +
        'certificate. Give -c cdnDomain=… -c cdnCertificateArn=… (the deploy workflow passes the ' +
        'CDN_DOMAIN and CDN_CERTIFICATE_ARN repository variables); cdn_url follows the domain once set.',
    );
  }
  acknowledgeFindings(stack);
  return stack;
}
