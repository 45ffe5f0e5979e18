import { type CfnElement, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ProductImagesStack } from './stack';

/**
 * Every cdk-nag finding this project accepts, each on the one resource it concerns, with the reason.
 * Anything not listed here fails `cdk synth`.
 */
export function acknowledgeFindings(stack: ProductImagesStack): void {
  const accept = (scope: IConstruct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });

  const { distribution, deadLetters, deadJobs, api, functions, faultRehearsal } = stack;
  const fisConfigurations = `Resource::<${stack.getLogicalId(faultRehearsal.configuration.node.defaultChild as CfnElement)}.Arn>/FisConfigs/*`;
  accept(
    functions.renderImages.role,
    `IAM5[${fisConfigurations}]`,
    'The FIS extension reads the running experiment’s configuration, one object per experiment under FisConfigs/ of the rehearsal’s own bucket.',
  );
  accept(
    faultRehearsal.role,
    `IAM5[${fisConfigurations}]`,
    'FIS writes and deletes the running experiment’s configuration under FisConfigs/ of the rehearsal’s own bucket.',
  );
  accept(
    faultRehearsal.role,
    'IAM5[Resource::*]',
    'tag:GetResources, which FIS uses to resolve its Lambda targets, has no resource-level permissions.',
  );
  if (!stack.cdnDomainConfigured) {
    accept(
      distribution,
      'CFR4',
      'Without a custom domain the distribution serves *.cloudfront.net with CloudFront’s default certificate, whose TLS policy cannot be changed; deploy with -c cdnDomain=… -c cdnCertificateArn=… to require TLS 1.2.',
    );
  }
  accept(
    distribution,
    'CFR1',
    'Product images are public catalogue content sold worldwide; no country is excluded.',
  );
  accept(
    distribution,
    'CFR2',
    'The distribution serves only immutable, public image copies from a private bucket (GET/HEAD, no query strings or cookies); CloudFront absorbs floods and a WAF adds cost without protecting anything private.',
  );
  accept(
    deadLetters,
    'SQS3',
    'This queue is itself the dead-letter queue: the stream mapping’s on-failure destination and the pipeline’s dead letters.',
  );
  accept(
    deadJobs,
    'SQS3',
    'This queue is itself the dead-letter queue of the image jobs; its consumer fails their images.',
  );
  accept(
    functions.processStream.role,
    'IAM5[Resource::*]',
    'dynamodb:ListStreams, added by the stream event source, does not support resource-level permissions; the stream actions themselves are scoped to the table’s stream.',
  );
  accept(
    functions.processStream.role,
    'IAM5[Resource::<Images2D38C313.Arn>/products/*]',
    'Images copied before content addressing live under products/<sku>/<id>; the pipeline deletes them there.',
  );
  accept(
    functions.processStream.role,
    'IAM5[Resource::<Images2D38C313.Arn>/o/*]',
    'Originals are keyed by content hash under o/<sha256>/; the pipeline writes and deletes only there and under v/.',
  );
  accept(
    functions.processStream.role,
    'IAM5[Resource::<Images2D38C313.Arn>/v/*]',
    'Renditions are keyed by content hash under v/<sha256>/; the pipeline writes and deletes only there and under o/.',
  );
  accept(
    functions.renderImages.role,
    'IAM5[Resource::<Images2D38C313.Arn>/products/*]',
    'Images copied before content addressing live under products/<sku>/<id>; the pipeline deletes them there.',
  );
  accept(
    functions.renderImages.role,
    'IAM5[Resource::<Images2D38C313.Arn>/o/*]',
    'Originals are keyed by content hash under o/<sha256>/; the pipeline writes and deletes only there and under v/.',
  );
  accept(
    functions.renderImages.role,
    'IAM5[Resource::<Images2D38C313.Arn>/v/*]',
    'Renditions are keyed by content hash under v/<sha256>/; the pipeline writes and deletes only there and under o/.',
  );
  accept(
    functions.sweepPending.role,
    'IAM5[Resource::<Images2D38C313.Arn>/o/*]',
    'Originals are keyed by content hash under o/<sha256>/; the sweeper deletes there only what a stopped worker left marked for deletion.',
  );
  accept(
    functions.sweepPending.role,
    'IAM5[Resource::<Images2D38C313.Arn>/v/*]',
    'Renditions are keyed by content hash under v/<sha256>/; the sweeper deletes there only what a stopped worker left marked for deletion.',
  );
  accept(
    api,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'API Gateway’s account-level role for execution logs; AWS maintains this policy for exactly that purpose.',
  );
  accept(
    api,
    'COG4',
    'The API’s contract is token authentication with API keys (Authorization: Token <key>), checked by a Lambda authorizer against hashed keys; Cognito user pools do not fit merchant integrations.',
  );
  accept(
    api,
    'APIG3',
    'Stage throttling limits request rates, and every method sits behind the API key authorizer; a WAF can be attached without code changes when a threat calls for it.',
  );
}
