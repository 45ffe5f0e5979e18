import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
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
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { addGatewayAnswers } from '../gateway-responses';
import { STAGES, type StageName, usagePlanName } from '../stages';
import { ServiceFunction } from './service-function';

/** The resource every route of the original API lives at. */
export const RESOURCE_PATH = 'api/i1/downloadable_image';

export interface ImageApiProps {
  stage: StageName;
  /** The deployment's name (`deploymentName`): the stage, or the merchant's and the stage. */
  name: string;
  table: Table;
  /** The list index's ARN, which GET queries. */
  listIndexArn: string;
  /** The environment the API functions get (table name, CDN base URL, cursor key, …). */
  environment: Record<string, string>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The Product Image API: API Gateway with the key authorizer and per-merchant usage plans in front
 * of the GET and POST functions.
 */
export class ImageApi extends Construct {
  readonly api: RestApi;
  readonly getImages: ServiceFunction;
  readonly postImages: ServiceFunction;
  readonly authorizeRequest: ServiceFunction;
  readonly usagePlans: Record<string, UsagePlan>;

  constructor(scope: Construct, id: string, props: ImageApiProps) {
    super(scope, id);
    const stage = STAGES[props.stage];
    const { table, environment, logRetention, removalPolicy } = props;
    this.getImages = new ServiceFunction(this, 'GetImages', {
      entry: 'functions/get-images.ts',
      description: 'product-images: GET /api/i1/downloadable_image/',
      environment,
      logRetention,
      removalPolicy,
    });
    this.getImages.allow(
      ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      [table.tableArn, props.listIndexArn],
    );

    this.postImages = new ServiceFunction(this, 'PostImages', {
      entry: 'functions/post-images.ts',
      description: 'product-images: POST /api/i1/downloadable_image/',
      environment,
      logRetention,
      removalPolicy,
    });
    // TransactWriteItems is authorised by the actions of its parts: Put, Update, Delete.
    this.postImages.allow(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [table.tableArn],
    );

    // The authorizer reads only its own configuration: no CDN base URL, no cursor key.
    const { CDN_BASE_URL: _cdn, PAGE_CURSOR_KEY: _cursor, ...authorizerEnvironment } = environment;
    this.authorizeRequest = new ServiceFunction(this, 'AuthorizeRequest', {
      entry: 'functions/authorize-request.ts',
      description: 'product-images: API key authorizer',
      environment: authorizerEnvironment,
      logRetention,
      removalPolicy,
    });
    this.authorizeRequest.allow(['dynamodb:GetItem'], [table.tableArn]);

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    this.api = new RestApi(this, 'Api', {
      restApiName: `product-images-${props.name}`,
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      description: 'Product Image API (downloadable_image)',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: removalPolicy,
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
      handler: this.authorizeRequest.function,
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
    const getIntegration = new LambdaIntegration(this.getImages.function);
    resource.addMethod('GET', getIntegration, methodOptions);
    resource.addMethod('HEAD', getIntegration, methodOptions);
    resource.addMethod('POST', new LambdaIntegration(this.postImages.function), methodOptions);
    // Every other method reaches the GET function, whose routing answers 405 with Allow.
    resource.addMethod('ANY', getIntegration, methodOptions);

    // Per-merchant limits: each merchant's key is on one usage plan of the stage; `npm run token --
    // create NAME --plan PLAN` puts it there. One client retrying in a loop uses only its own allowance.
    this.usagePlans = Object.fromEntries(
      Object.entries(stage.usagePlans).map(([plan, limits]) => [
        plan,
        this.api.addUsagePlan(`UsagePlan-${plan}`, {
          name: usagePlanName(props.name, plan),
          description: `product-images ${props.name}: the ${plan} plan`,
          throttle: { rateLimit: limits.rate, burstLimit: limits.burst },
          quota: { limit: limits.quotaPerDay, period: Period.DAY },
          apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
        }),
      ]),
    );
  }
}
