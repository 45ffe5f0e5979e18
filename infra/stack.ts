import {
  Aws,
  type CfnElement,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { RestApi, UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import type { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lib/adapters/dynamodb/table-schema';
import { DEFAULT_VARIANT_WIDTHS } from '../lib/domain/variant-ladder';
import { Cdn } from './constructs/cdn';
import { FaultRehearsal } from './constructs/fault-rehearsal';
import { ImageApi, RESOURCE_PATH } from './constructs/image-api';
import { ImagePipeline } from './constructs/image-pipeline';
import { Monitoring } from './constructs/monitoring';
import type { ServiceFunction } from './constructs/service-function';
import { deploymentName, STAGES, type StageName } from './stages';

export interface ProductImagesStackProps extends StackProps {
  stage: StageName;
  /** The merchant this stack serves alone (`-c merchants=…`); unset: the single stack of the stage. */
  merchant?: string;
  /**
   * A custom domain for the CDN with its ACM certificate (in us-east-1). With it, viewers must use
   * TLS 1.2 or later; CloudFront's default certificate keeps its own, older policy.
   */
  cdnDomain?: { name: string; certificateArn: string };
  /** Debug logs and source-mapped stack traces in every function (`-c debug=true`); off by default. */
  debug?: boolean;
  /** Where alarms are e-mailed (`-c alarmEmail=…`); without it synth warns that nobody hears them. */
  alarmEmail?: string;
  /**
   * The renderer's ladder (`-c variantWidths=352,640,1200`); the default otherwise. Changing it breaks
   * no URL: each original's key names the rungs it has (docs/storefront.md: One URL for every size).
   */
  variantWidths?: readonly number[];
}

/** The ids of the subsystem constructs, left out of their resources' logical ids (see allocateLogicalId). */
const SUBSYSTEM_IDS = new Set(['Api', 'Pipeline', 'Cdn', 'Monitoring']);

/** How long an overwritten or deleted image object can still be brought back. */
export const IMAGE_VERSION_RETENTION_DAYS = 30;

/** The whole service in one stack per stage: API, table, pipeline, CDN, alarms. */
export class ProductImagesStack extends Stack {
  readonly api: RestApi;
  readonly table: Table;
  readonly distribution: Distribution;
  readonly deadLetters: Queue;
  /** The image jobs' dead-letter queue. */
  readonly deadJobs: Queue;
  readonly faultRehearsal: FaultRehearsal;
  readonly functions: Record<
    | 'getImages'
    | 'postImages'
    | 'authorizeRequest'
    | 'processStream'
    | 'renderImages'
    | 'failDeadJobs'
    | 'sweepPending',
    ServiceFunction
  >;
  readonly cdnDomainConfigured: boolean;
  readonly dashboard: Dashboard;
  readonly events: EventBus;
  readonly usagePlans: Record<string, UsagePlan>;

  /**
   * Logical ids as if every resource were defined on the stack itself: the subsystem constructs
   * (API, pipeline, CDN, monitoring) group code, not resources, so moving a resource into one never
   * makes CloudFormation replace it (a new table, bucket, distribution or API would lose data or
   * change an address). CDK's own algorithm is used, on the path without the subsystem's id.
   */
  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes;
    const subsystem = scopes[scopes.indexOf(element.stack) + 1];
    if (!subsystem || !SUBSYSTEM_IDS.has(subsystem.node.id) || subsystem === element) {
      return super.allocateLogicalId(element);
    }
    const flattened = {
      stack: element.stack,
      node: { scopes: scopes.filter((scope) => scope !== subsystem) },
    };
    return super.allocateLogicalId(flattened as unknown as CfnElement);
  }

  constructor(scope: Construct, id: string, props: ProductImagesStackProps) {
    super(scope, id, props);
    const stage = STAGES[props.stage];
    const name = deploymentName(props.stage, props.merchant);
    this.cdnDomainConfigured = props.cdnDomain !== undefined;
    const retainData = stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // ---- Storage -------------------------------------------------------------------------------
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: stage.retainData,
      removalPolicy: retainData,
      stream: StreamViewType[TABLE_SCHEMA.stream],
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.listIndex.name,
      partitionKey: { name: TABLE_SCHEMA.listIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.listIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType[TABLE_SCHEMA.listIndex.projection],
    });
    const pendingIndex = TABLE_SCHEMA.pendingIndex;
    this.table.addGlobalSecondaryIndex({
      indexName: pendingIndex.name,
      partitionKey: { name: pendingIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: pendingIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType[pendingIndex.projection],
      nonKeyAttributes: [...pendingIndex.nonKeyAttributes],
    });
    const table = this.table;
    const listIndexArn = `${table.tableArn}/index/${TABLE_SCHEMA.listIndex.name}`;

    const logsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(stage.accessLogDays) }],
      removalPolicy: retainData,
    });
    const imagesBucket = new Bucket(this, 'Images', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logsBucket,
      serverAccessLogsPrefix: 'images-bucket/',
      // A wrong POST or a bug deletes objects; versioning keeps them recoverable for 30 days.
      versioned: true,
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(IMAGE_VERSION_RETENTION_DAYS),
        },
        { expiredObjectDeleteMarker: true },
      ],
      removalPolicy: retainData,
    });

    // ---- Subsystems ----------------------------------------------------------------------------
    const cdn = new Cdn(this, 'Cdn', {
      stage: props.stage,
      name,
      imagesBucket,
      logsBucket,
      cdnDomain: props.cdnDomain,
    });
    this.distribution = cdn.distribution;

    const logRetention = stage.logRetention;
    const common = {
      TABLE_NAME: table.tableName,
      LOG_LEVEL: props.debug ? 'debug' : 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Parsing a bundle's source map costs every cold start about a quarter of its import time, so
      // mapped stack traces are switched on only with `-c debug=true`.
      ...(props.debug ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    };
    const api = new ImageApi(this, 'Api', {
      stage: props.stage,
      name,
      table,
      listIndexArn,
      environment: {
        ...common,
        CDN_BASE_URL: cdn.baseUrl,
        // The stack's own id ends in a UUID CloudFormation draws when the stack is created: stable across
        // deploys (listing links stay valid), unknown to clients (they cannot forge a position hint).
        PAGE_CURSOR_KEY: Fn.select(2, Fn.split('/', Aws.STACK_ID)),
      },
      logRetention,
      removalPolicy: retainData,
    });
    this.api = api.api;
    this.usagePlans = api.usagePlans;

    const pipeline = new ImagePipeline(this, 'Pipeline', {
      stage: props.stage,
      name,
      renderConcurrency: stage.renderConcurrency,
      table,
      imagesBucket,
      cdnBaseUrl: cdn.baseUrl,
      environment: common,
      variantWidths: props.variantWidths ?? DEFAULT_VARIANT_WIDTHS,
      logRetention,
      removalPolicy: retainData,
    });
    this.deadLetters = pipeline.deadLetters;
    this.deadJobs = pipeline.deadJobs;
    this.events = pipeline.events;
    this.functions = {
      getImages: api.getImages,
      postImages: api.postImages,
      authorizeRequest: api.authorizeRequest,
      processStream: pipeline.processStream,
      renderImages: pipeline.renderImages,
      failDeadJobs: pipeline.failDeadJobs,
      sweepPending: pipeline.sweepPending,
    };

    const monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      name,
      api: this.api,
      functions: this.functions,
      streamConsumer: pipeline.processStream,
      deadLetters: pipeline.deadLetters,
      jobs: pipeline.jobs,
      deadJobs: pipeline.deadJobs,
      renderer: pipeline.renderImages,
      alarmEmail: props.alarmEmail,
      removalPolicy: retainData,
    });
    this.dashboard = monitoring.dashboard;

    // A bad day for the renderer, to rehearse deployed: created here, started only by an operator.
    this.faultRehearsal = new FaultRehearsal(this, 'FaultRehearsal', {
      name,
      renderer: pipeline.renderImages,
      stopAlarm: monitoring.deadJobsAlarm,
      accessLogs: logsBucket,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---- Outputs -------------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: `${this.api.url}${RESOURCE_PATH}/` });
    new CfnOutput(this, 'CdnDomain', { value: this.distribution.distributionDomainName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    // The operators' commands (audit, rerender, replay) need the bucket's name beside the table's.
    new CfnOutput(this, 'BucketName', { value: imagesBucket.bucketName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetters.queueUrl });
    new CfnOutput(this, 'RenderJobsQueueUrl', { value: pipeline.jobs.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.alarms.topicArn });
    new CfnOutput(this, 'EventBusName', { value: this.events.eventBusName });
    new CfnOutput(this, 'FaultRehearsalTemplateId', { value: this.faultRehearsal.template.attrId });
  }
}
