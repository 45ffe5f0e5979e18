import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_EVENT_PATTERNS } from '../../lib/adapters/dynamodb/table-schema';
import { ServiceFunction } from './service-function';

export interface ImagePipelineProps {
  stage: string;
  table: Table;
  imagesBucket: IBucket;
  /** What `cdn_url`s in `ProductImagesSettled` events start with. */
  cdnBaseUrl: string;
  /** The environment every function gets (table name, log level, …). */
  environment: Record<string, string>;
  variantWidths: readonly number[];
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The image pipeline: the table's stream feeds the function that downloads, renders and publishes
 * each new image, releases removed ones, and announces settled sets on the event bus; what fails for
 * good goes to the dead-letter queue.
 */
export class ImagePipeline extends Construct {
  readonly processStream: ServiceFunction;
  readonly deadLetters: Queue;
  readonly events: EventBus;

  constructor(scope: Construct, id: string, props: ImagePipelineProps) {
    super(scope, id);
    const { table, imagesBucket } = props;
    this.deadLetters = new Queue(this, 'PipelineDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Undelivered images are evidence; prod keeps the queue when the stack goes.
      removalPolicy: props.removalPolicy,
    });
    // Where `ProductImagesSettled` events go; merchants' rules forward them (README: Completion events).
    this.events = new EventBus(this, 'Events', { eventBusName: `product-images-${props.stage}` });
    const processStream = new ServiceFunction(this, 'ProcessStream', {
      entry: 'functions/process-stream.ts',
      description: 'product-images: image pipeline (table stream to renditions in S3)',
      environment: {
        ...props.environment,
        BUCKET_NAME: imagesBucket.bucketName,
        CDN_BASE_URL: props.cdnBaseUrl,
        EVENT_BUS_NAME: this.events.eventBusName,
        DEAD_LETTER_QUEUE_URL: this.deadLetters.queueUrl,
        ALLOW_PRIVATE_IMAGE_HOSTS: 'false',
        VARIANT_WIDTHS: props.variantWidths.join(','),
        RENDER_CONCURRENCY: '2',
      },
      // sharp renders about 1.6× faster per core on x86_64 than on Graviton, more than arm64's 20 %
      // lower price per GB-second makes up (README: Storefront variants). 2,048 MB gives two renders of a 24 MP
      // image room to spare (npm run bench -- variants) and a second vCPU's share.
      architecture: Architecture.X86_64,
      withSharp: true,
      memorySize: 2048,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.processStream = processStream;
    processStream.allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]);
    processStream.allow(
      ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      ['products/*', 'o/*', 'v/*'].map((pattern) => imagesBucket.arnForObjects(pattern)),
    );
    // Listing only under the content prefixes, to delete a content's objects.
    processStream.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [imagesBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['o/*', 'v/*'] } },
      }),
    );
    processStream.allow(['sqs:SendMessage'], [this.deadLetters.queueArn]);
    processStream.allow(['events:PutEvents'], [this.events.eventBusArn]);
    processStream.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 5,
        maxRecordAge: Duration.days(1),
        parallelizationFactor: 4,
        onFailure: new SqsDlq(this.deadLetters),
        filters: PIPELINE_EVENT_PATTERNS.map((pattern) =>
          FilterCriteria.filter(pattern as unknown as Record<string, unknown>),
        ),
      }),
    );
  }
}
