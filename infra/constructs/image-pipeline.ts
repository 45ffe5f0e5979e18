import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_EVENT_PATTERNS, TABLE_SCHEMA } from '../../lib/adapters/dynamodb/table-schema';
import { RENDERER_TIMEOUT_MS } from '../../lib/pipeline/retry-budget';
import { ServiceFunction } from './service-function';

/**
 * The renderer's sizing, from the worst cases measured (`npm run bench -- import`): a 100 MP JPEG (the
 * pixel limit; 20 MiB holds one) rendered in 11.1 s with a 438 MB peak on 2 cores here, about 19 s at
 * Lambda's 1.17 vCPU of 2,048 MB. One render at a time, two jobs a batch: 38 s, times 3 = 114 s.
 */
export const RENDERER = {
  memoryMb: 2048,
  // The retry budget's worker lifetime (lib/pipeline/retry-budget.ts): deletions are taken over after it.
  timeout: Duration.millis(RENDERER_TIMEOUT_MS),
  batchSize: 2,
  /** SQS's rule: at least 6 × the function's timeout, so a job is not delivered twice while it runs. */
  visibilityTimeout: Duration.minutes(12),
  /** Receives of one job before it goes to the jobs' dead-letter queue (a crash or timeout each). */
  maxReceiveCount: 3,
} as const;

/**
 * The pending sweeper: every 5 minutes, sets pending for 15 minutes (after their POST or last sweep)
 * get their pending images' jobs again, 3 times, then those images end failed (docs/pipeline.md: Imports at scale).
 * While jobs wait in the queue, only sets pending for 6 hours get their jobs again, and none fails: 6
 * hours drain about 7 million images at prod's 600 renderers (48 minutes a million).
 */
export const SWEEPER = {
  every: Duration.minutes(5),
  pendingMinutes: 15,
  maxSweeps: 3,
  backlogPatienceMinutes: 360,
} as const;

/** The dead-job consumer's timeout: a batch of 10 reads and writes, well under a minute. */
const DEAD_JOBS_TIMEOUT = Duration.minutes(1);

export interface ImagePipelineProps {
  stage: string;
  /** The deployment's name (`deploymentName`): the stage, or the merchant's and the stage. */
  name: string;
  /** Renderer invocations at once (the SQS event source's maximum concurrency). */
  renderConcurrency: number;
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
 * The image pipeline, in two stages: the table's stream feeds a light consumer that releases removed
 * images and enqueues one job per new image; the jobs' queue feeds the renderer, which downloads,
 * renders and publishes each image and announces settled sets on the event bus. Jobs SQS gives up on
 * go to their own dead-letter queue, whose consumer fails their images; what fails for good is kept in
 * the pipeline's dead-letter queue for a person.
 */
export class ImagePipeline extends Construct {
  readonly processStream: ServiceFunction;
  readonly renderImages: ServiceFunction;
  readonly failDeadJobs: ServiceFunction;
  readonly sweepPending: ServiceFunction;
  readonly sweepSchedule: Rule;
  readonly jobs: Queue;
  readonly deadJobs: Queue;
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
    // Where `ProductImagesSettled` events go; merchants' rules forward them (docs/operating.md: Completion events).
    this.events = new EventBus(this, 'Events', { eventBusName: `product-images-${props.name}` });
    this.deadJobs = new Queue(this, 'RenderJobsDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Its consumer runs up to DEAD_JOBS_TIMEOUT: Lambda refuses an event source whose queue hides a
      // message for less than that, and SQS advises 6×.
      visibilityTimeout: Duration.seconds(DEAD_JOBS_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.jobs = new Queue(this, 'RenderJobs', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: RENDERER.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadJobs, maxReceiveCount: RENDERER.maxReceiveCount },
    });
    const environment = {
      ...props.environment,
      BUCKET_NAME: imagesBucket.bucketName,
      CDN_BASE_URL: props.cdnBaseUrl,
      EVENT_BUS_NAME: this.events.eventBusName,
      DEAD_LETTER_QUEUE_URL: this.deadLetters.queueUrl,
      RENDER_QUEUE_URL: this.jobs.queueUrl,
      ALLOW_PRIVATE_IMAGE_HOSTS: 'false',
      VARIANT_WIDTHS: props.variantWidths.join(','),
    };
    /**
     * A pipeline function. Only the renderer loads sharp: it ships beside that bundle alone, on x86_64
     * (see the renderer); the others start without it, on arm64 like the API.
     */
    const pipelineFunction = (
      id: string,
      entry: string,
      description: string,
      sizing: { memorySize: number; timeout: Duration; env?: Record<string, string>; renders?: boolean },
    ) => {
      const fn = new ServiceFunction(this, id, {
        entry,
        description,
        environment: { ...environment, ...sizing.env },
        architecture: sizing.renders ? Architecture.X86_64 : Architecture.ARM_64,
        withSharp: sizing.renders === true,
        memorySize: sizing.memorySize,
        timeout: sizing.timeout,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      fn.allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]);
      fn.allow(['sqs:SendMessage'], [this.deadLetters.queueArn, this.jobs.queueArn]);
      return fn;
    };
    // The stream consumer enqueues and releases: milliseconds a record, so little memory and time.
    const processStream = pipelineFunction(
      'ProcessStream',
      'functions/process-stream.ts',
      'product-images: image pipeline stream consumer (table stream to image jobs)',
      { memorySize: 1024, timeout: Duration.minutes(1) },
    );
    this.processStream = processStream;
    // Events go out from the settlement mark's stream record: the stream consumer alone puts them.
    processStream.allow(['events:PutEvents'], [this.events.eventBusArn]);
    // sharp renders about 1.6× faster per core on x86_64 than on Graviton, more than arm64's 20 %
    // lower price per GB-second makes up (docs/pipeline.md: Where it runs). Sized by RENDERER above.
    this.renderImages = pipelineFunction(
      'RenderImages',
      'functions/render-images.ts',
      'product-images: image pipeline renderer (image jobs to renditions in S3)',
      {
        memorySize: RENDERER.memoryMb,
        timeout: RENDERER.timeout,
        renders: true,
        env: { RENDER_CONCURRENCY: '1', IMAGES_IN_FLIGHT: '2', PIPELINE_IMAGE_CONCURRENCY: '2' },
      },
    );
    this.failDeadJobs = pipelineFunction(
      'FailDeadJobs',
      'functions/fail-dead-jobs.ts',
      'product-images: image pipeline dead jobs (fails their images)',
      { memorySize: 512, timeout: DEAD_JOBS_TIMEOUT },
    );
    this.sweepPending = pipelineFunction(
      'SweepPending',
      'functions/sweep-pending.ts',
      'product-images: image pipeline sweeper (re-enqueues images left pending, finishes deletions left)',
      {
        memorySize: 512,
        timeout: Duration.minutes(5),
        env: {
          PENDING_SWEEP_MINUTES: String(SWEEPER.pendingMinutes),
          MAX_SWEEPS: String(SWEEPER.maxSweeps),
          BACKLOG_PATIENCE_MINUTES: String(SWEEPER.backlogPatienceMinutes),
        },
      },
    );
    // It reads the sparse pending index (never the table) and the queue's backlog.
    this.sweepPending.allow(
      ['dynamodb:Query'],
      [`${table.tableArn}/index/${TABLE_SCHEMA.pendingIndex.name}`],
    );
    this.sweepPending.allow(['sqs:GetQueueAttributes'], [this.jobs.queueArn]);
    // It finishes deletions a stopped worker left: a content's objects, listed and deleted.
    this.sweepPending.allow(
      ['s3:DeleteObject'],
      ['o/*', 'v/*'].map((pattern) => imagesBucket.arnForObjects(pattern)),
    );
    this.sweepPending.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [imagesBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['o/*', 'v/*'] } },
      }),
    );
    this.sweepSchedule = new Rule(this, 'SweepSchedule', {
      description: 'product-images: runs the pending sweeper',
      schedule: Schedule.rate(SWEEPER.every),
      targets: [
        // The scheduled event itself: its empty `detail` means the configured threshold.
        new LambdaFunction(this.sweepPending.function, { retryAttempts: 2 }),
      ],
    });
    // Who deletes a content's objects also removes its item once they are gone (`finishDeletion`).
    for (const fn of [processStream, this.renderImages, this.sweepPending]) {
      fn.allow(['dynamodb:DeleteItem'], [table.tableArn]);
    }
    for (const fn of [processStream, this.renderImages]) {
      fn.allow(
        ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        ['products/*', 'o/*', 'v/*'].map((pattern) => imagesBucket.arnForObjects(pattern)),
      );
      // Listing only under the content prefixes, to delete a content's objects.
      fn.role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [imagesBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': ['o/*', 'v/*'] } },
        }),
      );
    }
    this.renderImages.function.addEventSource(
      new SqsEventSource(this.jobs, {
        batchSize: RENDERER.batchSize,
        maxConcurrency: props.renderConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.failDeadJobs.function.addEventSource(
      new SqsEventSource(this.deadJobs, { batchSize: 10, maxConcurrency: 2, reportBatchItemFailures: true }),
    );
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
