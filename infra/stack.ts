import {
  Annotations,
  Aws,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RequestAuthorizer,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PIPELINE_EVENT_PATTERNS, TABLE_SCHEMA } from '../lib/adapters/dynamodb/table-schema';
import { DEFAULT_VARIANT_WIDTHS } from '../lib/domain/variant-ladder';
import { DIMENSION, METRIC, METRIC_NAMESPACE, METRIC_SERVICE } from '../lib/metrics';
import { CDN_CUSTOM_HEADERS } from './cdn/response-headers';
import { variantRouterCode } from './cdn/variant-router';
import { ServiceFunction } from './constructs/service-function';
import { addGatewayAnswers } from './gateway-responses';
import { STAGES, type StageName, usagePlanName } from './stages';

export interface ProductImagesStackProps extends StackProps {
  stage: StageName;
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
   * no URL: each original's key names the rungs it has (README: Storefront variants).
   */
  variantWidths?: readonly number[];
}

/** How long an overwritten or deleted image object can still be brought back. */
export const IMAGE_VERSION_RETENTION_DAYS = 30;

const RESOURCE_PATH = 'api/i1/downloadable_image';

/** The whole service in one stack per stage: API, table, pipeline, CDN, alarms. */
export class ProductImagesStack extends Stack {
  readonly api: RestApi;
  readonly table: Table;
  readonly distribution: Distribution;
  readonly deadLetters: Queue;
  readonly functions: Record<
    'getImages' | 'postImages' | 'authorizeRequest' | 'processStream',
    ServiceFunction
  >;
  readonly cdnDomainConfigured: boolean;
  readonly dashboard: Dashboard;
  readonly events: EventBus;
  readonly usagePlans: Record<string, UsagePlan>;

  constructor(scope: Construct, id: string, props: ProductImagesStackProps) {
    super(scope, id, props);
    const stage = STAGES[props.stage];
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

    // ---- CDN -----------------------------------------------------------------------------------
    const variantWidths = props.variantWidths ?? DEFAULT_VARIANT_WIDTHS;
    // Keys never change content, so copies are cached as long as CloudFront allows.
    const immutableImages = new CachePolicy(this, 'ImmutableImages', {
      comment: 'Image copies: keys are never reused, so cache for a year and ignore cookies and queries',
      defaultTtl: Duration.days(365),
      minTtl: Duration.days(1),
      maxTtl: Duration.days(365),
      cookieBehavior: CacheCookieBehavior.none(),
      headerBehavior: CacheHeaderBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // What a storefront needs to use an image from any page: CORS (canvas, fetch) and `Vary: Accept`
    // as fixed headers (infra/cdn/response-headers.ts says why), and safe defaults.
    const storefrontHeaders = new ResponseHeadersPolicy(this, 'StorefrontHeaders', {
      comment: 'Images usable cross-origin from any storefront; HSTS and nosniff',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
      },
      customHeadersBehavior: {
        customHeaders: Object.entries(CDN_CUSTOM_HEADERS).map(([header, value]) => ({
          header,
          value,
          override: true,
        })),
      },
    });
    // Maps `cdn_url?width=N` + `Accept` to a rendition's key before the cache is looked up, so the
    // cache key is the rendition (infra/cdn/viewer-request.js).
    const variantRouter = new CloudFrontFunction(this, 'VariantRouter', {
      comment: 'cdn_url?width=N and Accept to the rendition key',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(variantRouterCode()),
    });
    const distribution = new Distribution(this, 'Cdn', {
      comment: `product-images ${props.stage} CDN`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(imagesBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: immutableImages,
        responseHeadersPolicy: storefrontHeaders,
        compress: true,
        functionAssociations: [{ function: variantRouter, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      ...(props.cdnDomain
        ? {
            domainNames: [props.cdnDomain.name],
            certificate: Certificate.fromCertificateArn(
              this,
              'CdnCertificate',
              props.cdnDomain.certificateArn,
            ),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logsBucket,
      logFilePrefix: 'cdn/',
    });
    this.distribution = distribution;
    const cdnBaseUrl = `https://${props.cdnDomain?.name ?? distribution.distributionDomainName}`;

    // ---- Functions -----------------------------------------------------------------------------
    const logRetention = stage.logRetention;
    const common = {
      TABLE_NAME: table.tableName,
      LOG_LEVEL: props.debug ? 'debug' : 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Parsing a bundle's source map costs every cold start about a quarter of its import time, so
      // mapped stack traces are switched on only with `-c debug=true`.
      ...(props.debug ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    };
    const api = {
      ...common,
      CDN_BASE_URL: cdnBaseUrl,
      // The stack's own id ends in a UUID CloudFormation draws when the stack is created: stable across
      // deploys (listing links stay valid), unknown to clients (they cannot forge a position hint).
      PAGE_CURSOR_KEY: Fn.select(2, Fn.split('/', Aws.STACK_ID)),
    };
    const getImages = new ServiceFunction(this, 'GetImages', {
      entry: 'functions/get-images.ts',
      description: 'product-images: GET /api/i1/downloadable_image/',
      environment: api,
      logRetention,
      removalPolicy: retainData,
    });
    getImages.allow(
      ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      [table.tableArn, listIndexArn],
    );

    const postImages = new ServiceFunction(this, 'PostImages', {
      entry: 'functions/post-images.ts',
      description: 'product-images: POST /api/i1/downloadable_image/',
      environment: api,
      logRetention,
      removalPolicy: retainData,
    });
    // TransactWriteItems is authorised by the actions of its parts: Put, Update, Delete.
    postImages.allow(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [table.tableArn],
    );

    const authorizeRequest = new ServiceFunction(this, 'AuthorizeRequest', {
      entry: 'functions/authorize-request.ts',
      description: 'product-images: API key authorizer',
      environment: api,
      logRetention,
      removalPolicy: retainData,
    });
    authorizeRequest.allow(['dynamodb:GetItem'], [table.tableArn]);

    const deadLetters = new Queue(this, 'PipelineDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Undelivered images are evidence; prod keeps the queue when the stack goes.
      removalPolicy: retainData,
    });
    this.deadLetters = deadLetters;
    // Where `ProductImagesSettled` events go; merchants' rules forward them (README: Completion events).
    this.events = new EventBus(this, 'Events', { eventBusName: `product-images-${props.stage}` });
    const processStream = new ServiceFunction(this, 'ProcessStream', {
      entry: 'functions/process-stream.ts',
      description: 'product-images: image pipeline (table stream to renditions in S3)',
      environment: {
        ...common,
        BUCKET_NAME: imagesBucket.bucketName,
        CDN_BASE_URL: cdnBaseUrl,
        EVENT_BUS_NAME: this.events.eventBusName,
        DEAD_LETTER_QUEUE_URL: deadLetters.queueUrl,
        ALLOW_PRIVATE_IMAGE_HOSTS: 'false',
        VARIANT_WIDTHS: variantWidths.join(','),
        RENDER_CONCURRENCY: '2',
      },
      // sharp renders about 1.6× faster per core on x86_64 than on Graviton, more than arm64's 20 %
      // lower price per GB-second makes up (README: Storefront variants). 2,048 MB gives two renders of a 24 MP
      // image room to spare (npm run bench -- variants) and a second vCPU's share.
      architecture: Architecture.X86_64,
      withSharp: true,
      memorySize: 2048,
      timeout: Duration.minutes(5),
      logRetention,
      removalPolicy: retainData,
    });
    this.functions = { getImages, postImages, authorizeRequest, processStream };
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
    processStream.allow(['sqs:SendMessage'], [deadLetters.queueArn]);
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
        onFailure: new SqsDlq(deadLetters),
        filters: PIPELINE_EVENT_PATTERNS.map((pattern) =>
          FilterCriteria.filter(pattern as unknown as Record<string, unknown>),
        ),
      }),
    );

    // ---- API -----------------------------------------------------------------------------------
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy: retainData,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `product-images-${props.stage}`,
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      description: 'Product Image API (downloadable_image)',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: retainData,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: stage.throttle.rate,
        throttlingBurstLimit: stage.throttle.burst,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies stay out of the logs: they carry keys and merchant data.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    addGatewayAnswers(this.api);

    const authorizer = new RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: authorizeRequest.function,
      identitySources: [IdentitySource.header('Authorization')],
      // A revoked key keeps working at most this long.
      resultsCacheTtl: Duration.minutes(5),
    });
    const validator = this.api.addRequestValidator('ValidateRequests', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const methodOptions = {
      authorizer,
      authorizationType: AuthorizationType.CUSTOM,
      requestValidator: validator,
      // Metered per merchant: the authorizer names the merchant's usage-plan key (apiKeySource AUTHORIZER).
      apiKeyRequired: true,
    };
    // REST APIs route `/path` and `/path/` to the same resource.
    const resource = this.api.root.resourceForPath(RESOURCE_PATH);
    const getIntegration = new LambdaIntegration(getImages.function);
    resource.addMethod('GET', getIntegration, methodOptions);
    resource.addMethod('HEAD', getIntegration, methodOptions);
    resource.addMethod('POST', new LambdaIntegration(postImages.function), methodOptions);
    // Every other method reaches the GET function, whose routing answers 405 with Allow.
    resource.addMethod('ANY', getIntegration, methodOptions);

    // Per-merchant limits: each merchant's key is on one usage plan of the stage; `npm run token --
    // create NAME --plan PLAN` puts it there. One client retrying in a loop uses only its own allowance.
    this.usagePlans = Object.fromEntries(
      Object.entries(stage.usagePlans).map(([plan, limits]) => [
        plan,
        this.api.addUsagePlan(`UsagePlan-${plan}`, {
          name: usagePlanName(props.stage, plan),
          description: `product-images ${props.stage}: the ${plan} plan`,
          throttle: { rateLimit: limits.rate, burstLimit: limits.burst },
          quota: { limit: limits.quotaPerDay, period: Period.DAY },
          apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
        }),
      ]),
    );

    // ---- Alarms --------------------------------------------------------------------------------
    const alarmKey = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'product-images alarm topic encryption',
      removalPolicy: retainData,
    });
    alarmKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const alarms = new Topic(this, 'Alarms', { masterKey: alarmKey, enforceSSL: true });
    const notify = new SnsAction(alarms);
    const alarm = (id: string, props: ConstructorParameters<typeof Alarm>[2]) =>
      new Alarm(this, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...props }).addAlarmAction(
        notify,
      );

    alarm('Api5xxRateAlarm', {
      alarmDescription: 'More than 1% of API requests answered 5xx over 5 minutes',
      metric: new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
          requests: this.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const fiveMinuteSum = { period: Duration.minutes(5), statistic: 'Sum' };
    for (const [name, { function: fn }] of Object.entries(this.functions)) {
      for (const [kind, metric] of [
        ['Errors', fn.metricErrors(fiveMinuteSum)],
        ['Throttles', fn.metricThrottles(fiveMinuteSum)],
      ] as const) {
        alarm(`${name}${kind}Alarm`, {
          alarmDescription: `${name} function ${kind.toLowerCase()}`,
          metric,
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        });
      }
    }
    alarm('PipelineIteratorAgeAlarm', {
      alarmDescription: 'The image pipeline is more than 5 minutes behind the table stream',
      metric: processStream.function.metric('IteratorAge', {
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: Duration.minutes(5).toMilliseconds(),
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('PipelineDeadLettersAlarm', {
      alarmDescription: 'Image copies or stream records were dead-lettered',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // What the functions report (lib/metrics.ts): the same names the code emits, from one constant.
    const custom = (
      name: string,
      service: string,
      dimensions: Record<string, string>,
      statistic: string,
      label?: string,
    ) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: name,
        dimensionsMap: { service, ...dimensions },
        statistic,
        period: Duration.minutes(5),
        label,
      });
    const pipelineService = METRIC_SERVICE.pipeline;
    const postToReady = (statistic: string) =>
      custom(METRIC.postToReady, pipelineService, {}, statistic, `POST → ready ${statistic}`);
    const settled = (status: 'ready' | 'failed') =>
      custom(METRIC.imagesSettled, pipelineService, { [DIMENSION.status]: status }, 'Sum', status);

    alarm('PostToReadyP99Alarm', {
      alarmDescription: `99% of images take longer than ${stage.postToReadyP99Seconds} s from their POST to ready`,
      metric: postToReady('p99'),
      threshold: stage.postToReadyP99Seconds * 1000,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('FailedImageRatioAlarm', {
      alarmDescription: `More than ${stage.failedImagePercent}% of the images that settled in 15 minutes failed`,
      metric: new MathExpression({
        expression: 'IF(ready + failed >= 20, 100 * failed / (ready + failed), 0)',
        usingMetrics: { ready: settled('ready'), failed: settled('failed') },
        period: Duration.minutes(15),
      }),
      threshold: stage.failedImagePercent,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    if (props.alarmEmail) {
      alarms.addSubscription(new EmailSubscription(props.alarmEmail));
    } else {
      Annotations.of(this).addWarningV2(
        'product-images:no-alarm-subscription',
        'The alarm topic has no subscriber: give -c alarmEmail=ops@example.com (or subscribe the AlarmTopicArn output) so alarms reach a person.',
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `product-images-${props.stage}`,
      defaultInterval: Duration.hours(6),
    });
    const apiMetric = (metricName: string, method: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: {
          ApiName: this.api.restApiName,
          Stage: props.stage,
          Method: method,
          Resource: `/${RESOURCE_PATH}`,
        },
        statistic,
        period: Duration.minutes(1),
        label: `${method} ${metricName} ${statistic}`,
      });
    const byDimension = (name: string, dimension: string, service: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRIC_NAMESPACE},${dimension},service} MetricName="${name}" service="${service}"', 'Sum', 300)`,
        label: name,
        period: Duration.minutes(5),
      });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Requests per route',
        left: ['GET', 'POST'].map((method) => apiMetric('Count', method, 'Sum')),
        width: 8,
      }),
      new GraphWidget({
        title: '4xx and 5xx',
        left: [
          this.api.metricClientError({ statistic: 'Sum' }),
          this.api.metricServerError({ statistic: 'Sum' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Latency per route (p50, p99)',
        left: ['GET', 'POST'].flatMap((method) => [
          apiMetric('Latency', method, 'p50'),
          apiMetric('Latency', method, 'p99'),
        ]),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'POSTs by outcome',
        left: [byDimension(METRIC.posts, DIMENSION.outcome, METRIC_SERVICE.api)],
        width: 8,
      }),
      new GraphWidget({
        title: 'POST → ready (p50, p99)',
        left: [postToReady('p50'), postToReady('p99')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Images ready and failed; failures by kind',
        left: [settled('ready'), settled('failed')],
        right: [byDimension(METRIC.imagesFailed, DIMENSION.errorKind, pipelineService)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Dead-letter queue depth',
        left: [deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Stream iterator age (Lambda, and as the pipeline sees it)',
        left: [
          processStream.function.metric('IteratorAge', { statistic: 'Maximum' }),
          custom(METRIC.streamIteratorAge, pipelineService, {}, 'Maximum'),
        ],
        right: [custom(METRIC.streamBatchSize, pipelineService, {}, 'Average')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Throttles',
        left: Object.entries(this.functions).map(([name, { function: fn }]) =>
          fn.metricThrottles({ statistic: 'Sum', label: name }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Renditions: contents rendered, dedupe hits, contents deleted',
        left: [
          custom(METRIC.contentRendered, pipelineService, {}, 'Sum', 'rendered'),
          custom(METRIC.contentReused, pipelineService, {}, 'Sum', 'reused (dedupe hits)'),
          custom(METRIC.contentDeleted, pipelineService, {}, 'Sum', 'deleted'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Render time of a whole ladder (p50, p99)',
        left: [
          custom(METRIC.renderTime, pipelineService, {}, 'p50', 'p50'),
          custom(METRIC.renderTime, pipelineService, {}, 'p99', 'p99'),
        ],
        width: 12,
      }),
    );

    // ---- Outputs -------------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: `${this.api.url}${RESOURCE_PATH}/` });
    new CfnOutput(this, 'CdnDomain', { value: distribution.distributionDomainName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topicArn });
    new CfnOutput(this, 'EventBusName', { value: this.events.eventBusName });
  }
}
