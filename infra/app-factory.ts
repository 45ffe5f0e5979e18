import { Annotations, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseVariantWidths } from '../lib/domain/variant-ladder';
import { acknowledgeFindings } from './nag-acknowledgements';
import { ProductImagesStack } from './stack';
import { stageName } from './stages';

/** The CDK app: one stack for the stage given as `-c stage=…`, checked by cdk-nag's AWS Solutions rules. */
export function createApp(app: App): ProductImagesStack {
  const stage = stageName(app.node.tryGetContext('stage'));
  const cdnDomainName = app.node.tryGetContext('cdnDomain');
  const cdnCertificateArn = app.node.tryGetContext('cdnCertificateArn');
  if (Boolean(cdnDomainName) !== Boolean(cdnCertificateArn)) {
    throw new Error('give both -c cdnDomain=… and -c cdnCertificateArn=…, or neither');
  }
  const debug = app.node.tryGetContext('debug');
  const variantWidths = app.node.tryGetContext('variantWidths');
  const stack = new ProductImagesStack(app, `ProductImages-${stage}`, {
    stage,
    debug: debug === true || debug === 'true',
    alarmEmail: app.node.tryGetContext('alarmEmail') || undefined,
    // Checked here, at synth, so a wrong list never reaches a deployed renderer.
    variantWidths: parseVariantWidths(variantWidths === undefined ? undefined : String(variantWidths)),
    cdnDomain: cdnDomainName
      ? { name: String(cdnDomainName), certificateArn: String(cdnCertificateArn) }
      : undefined,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: `Product Image API (downloadable_image), ${stage}`,
  });
  if (stage === 'prod' && !cdnDomainName) {
    Annotations.of(stack).addWarningV2(
      'product-images:no-cdn-domain',
      "prod has no custom CDN domain: images are served from *.cloudfront.net with CloudFront's default " +
        'certificate. Give -c cdnDomain=… -c cdnCertificateArn=… (the deploy workflow passes the ' +
        'CDN_DOMAIN and CDN_CERTIFICATE_ARN repository variables); cdn_url follows the domain once set.',
    );
  }
  acknowledgeFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
