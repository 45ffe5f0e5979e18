import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { variantRouterCode } from '../../infra/cdn/variant-router';
import { STAGES } from '../../infra/stages';
import { PIPELINE_EVENT_PATTERNS, TABLE_SCHEMA } from '../../lib/adapters/dynamodb/table-schema';
import { METRIC, METRIC_NAMESPACE } from '../../lib/metrics';
import { synthesize } from '../helpers/synth';

let prod: Template;
let dev: Template;
beforeAll(() => {
  prod = synthesize('prod').template;
  dev = synthesize('dev').template;
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function statementsOf(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(
      ([, policy]) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}
const actionsOf = (statements: Statement[]) =>
  statements.flatMap((statement) => [statement.Action].flat()).sort();

describe('functions', () => {
  it('run the latest Node.js (x86_64 for the renderer, arm64 for every other), with log groups of their own and source maps only when debugging', () => {
    const functions = prod.findResources('AWS::Lambda::Function');
    const ours = Object.values(functions).filter((fn) =>
      String((fn as { Properties: { Description?: string } }).Properties.Description).startsWith(
        'product-images',
      ),
    );
    expect(ours).toHaveLength(7);
    for (const fn of ours) {
      const renderer = String(
        (fn as { Properties: { Description?: string } }).Properties.Description,
      ).includes('image pipeline renderer');
      expect(fn).toMatchObject({
        Properties: {
          Runtime: 'nodejs24.x',
          Architectures: [renderer ? 'x86_64' : 'arm64'],
          Handler: 'index.handler',
          Environment: { Variables: { LOG_LEVEL: 'info', TABLE_NAME: expect.anything() } },
          LoggingConfig: { LogGroup: expect.anything() },
        },
      });
    }
    for (const fn of ours) expect(JSON.stringify(fn)).not.toContain('enable-source-maps');
    const debugging = synthesize('dev', { debug: 'true' }).template;
    const variables = Object.values(debugging.findResources('AWS::Lambda::Function'))
      .map(
        (fn) => (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties,
      )
      .filter((properties) => properties.Environment?.Variables?.TABLE_NAME);
    expect(variables).toHaveLength(7);
    for (const properties of variables) {
      expect(properties.Environment?.Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'debug',
      });
    }
    prod.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    dev.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it('give each function only the actions it uses, on the resources it uses', () => {
    expect(actionsOf(statementsOf(prod, 'GetImagesRole'))).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(statementsOf(prod, 'PostImagesRole'))).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(statementsOf(prod, 'AuthorizeRequestRole'))).toEqual([
      'dynamodb:GetItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(statementsOf(prod, 'ProcessStreamRole'))).toEqual(
      [
        // Removing a deleted content's item.
        'dynamodb:DeleteItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:ListBucket',
        's3:PutObject',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('let the sweeper query the pending index, read and update items, enqueue jobs and read the backlog, and finish deletions a stopped worker left', () => {
    expect(actionsOf(statementsOf(prod, 'SweepPendingRole'))).toEqual(
      [
        'dynamodb:DeleteItem',
        's3:DeleteObject',
        's3:ListBucket',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('never grant a wildcard action, nor a wildcard resource beyond ListStreams and the image prefix', () => {
    for (const prefix of [
      'GetImagesRole',
      'PostImagesRole',
      'AuthorizeRequestRole',
      'ProcessStreamRole',
      'RenderImagesRole',
      'FailDeadJobsRole',
      'SweepPendingRole',
    ]) {
      for (const statement of statementsOf(prod, prefix)) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
        expect(statement.Effect).toBe('Allow');
        const resources = JSON.stringify(statement.Resource);
        if (resources === '"*"') expect(statement.Action).toBe('dynamodb:ListStreams');
        if (resources.includes('/products/*')) {
          expect(resources).toContain('/o/*');
          expect(resources).toContain('/v/*');
          expect([statement.Action].flat()).toEqual([
            's3:PutObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
          ]);
        }
        if ([statement.Action].flat().includes('s3:ListBucket')) {
          // The image prefixes, or (the renderer's FIS extension) the fault rehearsal's configurations.
          expect([
            JSON.stringify({ StringLike: { 's3:prefix': ['o/*', 'v/*'] } }),
            JSON.stringify({ StringLike: { 's3:prefix': ['FisConfigs/*'] } }),
          ]).toContain(JSON.stringify((statement as { Condition?: unknown }).Condition));
        }
      }
    }
  });
});

describe('table', () => {
  it('is on-demand, encrypted, recoverable, streaming new and old images, with the keys-only list index', () => {
    prod.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'list',
          KeySchema: [
            { AttributeName: 'listPk', KeyType: 'HASH' },
            { AttributeName: 'listSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        Match.objectLike({ IndexName: 'pending' }),
      ],
    });
  });

  it('is protected and retained in prod, disposable in dev', () => {
    prod.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    prod.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    dev.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});

describe('image pipeline mapping', () => {
  it('reports batch item failures, bisects, bounds retries and age, dead-letters to SQS, and filters', () => {
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86400,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: {
        Filters: PIPELINE_EVENT_PATTERNS.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
      },
    });
  });

  it('keeps the dead-letter queue when the prod stack is deleted, not in dev', () => {
    prod.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    dev.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });

  it('uses an encrypted, SSL-only dead-letter queue', () => {
    prod.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    prod.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('CDN origin', () => {
  it('blocks public access, encrypts, enforces SSL and is readable only by CloudFront', () => {
    prod.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          }),
          Match.objectLike({ ExpiredObjectDeleteMarker: true }),
        ],
      },
    });
    const policies = Object.values(prod.findResources('AWS::S3::BucketPolicy')).map((policy) =>
      JSON.stringify(policy),
    );
    const imagesPolicy = policies.find((policy) => policy.includes('cloudfront.amazonaws.com'));
    expect(imagesPolicy).toBeDefined();
    expect(imagesPolicy).toContain('AWS:SourceArn');
    expect(imagesPolicy).toContain('"s3:GetObject"');
    expect(imagesPolicy).toContain('aws:SecureTransport');
    prod.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('serves over HTTPS with compression and a year-long cache policy', () => {
    prod.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true },
        Logging: Match.anyValue(),
      },
    });
    prod.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: { DefaultTTL: 31536000, MaxTTL: 31536000 },
    });
  });

  it('lets storefronts use images cross-origin, with HSTS, nosniff and CORP on every answer', () => {
    prod.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          StrictTransportSecurity: {
            AccessControlMaxAgeSec: 31536000,
            IncludeSubdomains: true,
            Override: true,
          },
          ContentTypeOptions: { Override: true },
        },
        CustomHeadersConfig: {
          Items: [
            { Header: 'Access-Control-Allow-Origin', Value: '*', Override: true },
            { Header: 'Access-Control-Allow-Methods', Value: 'GET, HEAD', Override: true },
            { Header: 'Cross-Origin-Resource-Policy', Value: 'cross-origin', Override: true },
            { Header: 'Vary', Value: 'Accept', Override: true },
            { Header: 'Cache-Control', Value: 'public, max-age=31536000, immutable', Override: true },
          ],
        },
      },
    });
    // No CORS settings: with them CloudFront writes `Vary` itself and drops `Vary: Accept`.
    const [policy] = Object.values(prod.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    expect(JSON.stringify(policy)).not.toContain('CorsConfig');
    prod.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: { DefaultCacheBehavior: { ResponseHeadersPolicyId: Match.anyValue() } },
    });
  });

  it('routes cdn_url?width=N through the CloudFront Function, with a cache key of the rendition alone', () => {
    prod.hasResourceProperties('AWS::CloudFront::Function', {
      AutoPublish: true,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
      FunctionCode: variantRouterCode(),
    });
    prod.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        DefaultCacheBehavior: {
          FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: Match.anyValue() }],
        },
      },
    });
    // Neither the query string nor any header (Accept included) is in the cache key: the function has
    // already folded both into the URI.
    prod.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: {
        ParametersInCacheKeyAndForwardedToOrigin: {
          HeadersConfig: { HeaderBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        },
      },
    });
  });

  it('gives the renderer the ladder, the memory and timeout its measured worst case needs three times over', () => {
    const renderer = Object.values(prod.findResources('AWS::Lambda::Function')).find((fn) =>
      String((fn as { Properties: { Description?: string } }).Properties.Description).includes(
        'image pipeline renderer',
      ),
    ) as { Properties: Record<string, unknown> };
    expect(renderer.Properties).toMatchObject({
      MemorySize: 2048,
      Timeout: 120,
      Environment: { Variables: { VARIANT_WIDTHS: '160,352,832,1200,1920', RENDER_CONCURRENCY: '1' } },
    });
  });

  it('feeds the renderer from an encrypted, TLS-only queue: small batches, partial failures, a concurrency cap per stage, redrive', () => {
    for (const [stage, template] of [
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: STAGES[stage].renderConcurrency },
        EventSourceArn: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^RenderJobs'), 'Arn'] }),
      });
    }
    expect(STAGES.dev.renderConcurrency).toBeLessThan(20);
    expect(STAGES.prod.renderConcurrency).toBeGreaterThanOrEqual(100);
    const queues = prod.findResources('AWS::SQS::Queue');
    const [jobsId, jobs] = Object.entries(queues).find(([id]) => /^RenderJobs[0-9A-F]{8}$/.test(id)) ?? [];
    const [deadId] = Object.entries(queues).find(([id]) => id.startsWith('RenderJobsDeadLetters')) ?? [];
    const properties = (jobs as { Properties: Record<string, unknown> }).Properties;
    expect(Number(properties.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * 120);
    expect(properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] } },
    });
    expect(jobsId).toBeDefined();
    prod.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: jobsId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // Lambda refuses an SQS event source whose visibility timeout is under the function's timeout.
    const functions = prod.findResources('AWS::Lambda::Function');
    const mappings = Object.values(prod.findResources('AWS::Lambda::EventSourceMapping'));
    for (const mapping of mappings) {
      const source = JSON.stringify(mapping.Properties.EventSourceArn);
      const [queueId] = Object.keys(queues).filter((id) => source.includes(`"${id}"`));
      if (!queueId) continue;
      const functionId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
      const timeout = Number(functions[functionId]?.Properties.Timeout);
      expect(Number(queues[queueId]?.Properties.VisibilityTimeout), queueId).toBeGreaterThanOrEqual(
        6 * timeout,
      );
    }
    // The dead jobs have a consumer that fails their images.
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [deadId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('sweeps pending images on a schedule, through the sparse pending index only', () => {
    const [indexName, partitionKey, sortKey] = [
      TABLE_SCHEMA.pendingIndex.name,
      TABLE_SCHEMA.pendingIndex.partitionKey,
      TABLE_SCHEMA.pendingIndex.sortKey,
    ];
    prod.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: indexName,
          KeySchema: [
            { AttributeName: partitionKey, KeyType: 'HASH' },
            { AttributeName: sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['version', 'sweeps'] },
        }),
      ]),
    });
    const functions = prod.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('sweeper') },
    });
    const [sweeperId, sweeper] = Object.entries(functions)[0] ?? [];
    expect(sweeper?.Properties.Environment.Variables).toMatchObject({
      PENDING_SWEEP_MINUTES: '15',
      MAX_SWEEPS: '3',
      BACKLOG_PATIENCE_MINUTES: '360',
    });
    prod.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeperId, 'Arn'] } })],
    });
    // It may query the pending index, and nothing else of the table is read in bulk.
    const policies = Object.values(prod.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('SweepPending'),
    );
    const statements = policies.flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    const query = statements.find((statement) => [statement.Action].flat().includes('dynamodb:Query'));
    expect(JSON.stringify(query?.Resource)).toContain(`/index/${indexName}`);
    expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain('dynamodb:Scan');
  });

  it('keeps the logical id of every resource the single-file stack had, so a deploy replaces none of them', () => {
    // Recorded from the stack before it was split into constructs. Lambda permissions (stateless, named
    // after the API's path) are left out: replacing one adds the new before removing the old.
    const recorded = JSON.parse(
      readFileSync(join(import.meta.dirname, 'logical-ids.json'), 'utf8'),
    ) as Record<'dev' | 'prod', Record<string, string>>;
    for (const [stage, template] of [
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      const resources = template.toJSON().Resources as Record<string, { Type: string }>;
      const kept = Object.fromEntries(
        Object.keys(recorded[stage]).map((id) => [id, resources[id]?.Type ?? 'missing']),
      );
      expect(kept).toEqual(recorded[stage]);
    }
  });

  it('takes another ladder with -c variantWidths for the renderer alone: the CDN function does not change', () => {
    const changed = synthesize('dev', { variantWidths: '352,640,1200' }).template;
    const renderer = Object.values(changed.findResources('AWS::Lambda::Function')).find((fn) =>
      String((fn as { Properties: { Description?: string } }).Properties.Description).includes(
        'image pipeline',
      ),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(renderer.Properties.Environment.Variables.VARIANT_WIDTHS).toBe('352,640,1200');
    changed.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: variantRouterCode() });
    expect(() => synthesize('dev', { variantWidths: '352,abc' })).toThrow(/VARIANT_WIDTHS must be/);
  });

  it('gives the authorizer only its own configuration: no CDN base URL, no cursor key', () => {
    const [authorizer] = Object.values(
      prod.findResources('AWS::Lambda::Function', {
        Properties: { Description: 'product-images: API key authorizer' },
      }),
    );
    const variables = Object.keys(authorizer?.Properties.Environment.Variables ?? {});
    expect(variables).toContain('TABLE_NAME');
    expect(variables).not.toContain('CDN_BASE_URL');
    expect(variables).not.toContain('PAGE_CURSOR_KEY');
  });

  it('gives the API functions and the pipeline (for its events) the CDN base URL to build cdn_url', () => {
    const variables = Object.values(prod.findResources('AWS::Lambda::Function')).map(
      (fn) =>
        fn as { Properties: { Description?: string; Environment?: { Variables?: Record<string, unknown> } } },
    );
    const byName = (name: string) =>
      variables.find((fn) => String(fn.Properties.Description).includes(name))?.Properties.Environment
        ?.Variables;
    for (const name of ['GET', 'POST']) expect(byName(name)?.CDN_BASE_URL, name).toBeDefined();
    expect(byName('image pipeline')?.CDN_BASE_URL).toBeDefined();
    const custom = synthesize('prod', {
      cdnDomain: 'images.example.com',
      cdnCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('GET'),
      Environment: { Variables: Match.objectLike({ CDN_BASE_URL: 'https://images.example.com' }) },
    });
  });

  it('warns when prod is synthesized without its custom CDN domain', () => {
    const warnings = (options: Record<string, string> = {}) =>
      Annotations.fromStack(synthesize('prod', options).stack)
        .findWarning('*', Match.stringLikeRegexp('custom CDN domain'))
        .map((warning) => warning.entry.data);
    expect(warnings()).toHaveLength(1);
    expect(
      warnings({
        cdnDomain: 'images.example.com',
        cdnCertificateArn: 'arn:aws:acm:us-east-1:1:certificate/a',
      }),
    ).toEqual([]);
    expect(
      Annotations.fromStack(synthesize('dev').stack).findWarning('*', Match.stringLikeRegexp('CDN domain')),
    ).toEqual([]);
  });

  it('requires TLS 1.2 when deployed with a custom domain', () => {
    const custom = synthesize('prod', {
      cdnDomain: 'images.example.com',
      cdnCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    }).template;
    custom.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021' },
        Aliases: ['images.example.com'],
      },
    });
  });
});

describe('API', () => {
  it('routes GET, HEAD, POST and every other method through the authorizer', () => {
    const methods = Object.values(prod.findResources('AWS::ApiGateway::Method')).map(
      (method) => (method as { Properties: { HttpMethod: string; AuthorizationType: string } }).Properties,
    );
    expect(methods.map((method) => method.HttpMethod).sort()).toEqual(['ANY', 'GET', 'HEAD', 'POST']);
    expect(methods.every((method) => method.AuthorizationType === 'CUSTOM')).toBe(true);
    prod.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('throttles the stage and writes access logs, never request bodies', () => {
    prod.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 20000, ThrottlingBurstLimit: 5000, DataTraceEnabled: false }),
      ],
    });
  });

  it.each([
    ['MISSING_AUTHENTICATION_TOKEN', '404', 'Not found.'],
    ['UNAUTHORIZED', '401', 'Authentication credentials were not provided.'],
    ['ACCESS_DENIED', '401', 'Invalid token.'],
    ['THROTTLED', '429', 'Request was throttled.'],
    ['REQUEST_TOO_LARGE', '413', 'Request body exceeds the limit of 1048576 bytes.'],
    ['INTEGRATION_FAILURE', '502', 'Bad gateway.'],
  ])('answers its own %s as %s in the contract shape', (type, status, detail) => {
    prod.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status,
      ResponseTemplates: { 'application/json': JSON.stringify({ detail }) },
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Content-Type': "'application/json; charset=utf-8'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      }),
    });
  });

  it('sends Retry-After with throttling and WWW-Authenticate with 401s', () => {
    prod.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
    prod.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.WWW-Authenticate': "'Token'" }),
    });
  });
});

describe('alarms and outputs', () => {
  it('alarm on API 5xx rate, function errors and throttles, iterator age and dead letters, to an encrypted topic', () => {
    const alarms = Object.values(prod.findResources('AWS::CloudWatch::Alarm')).map((alarm) =>
      JSON.stringify(alarm),
    );
    expect(alarms.filter((alarm) => alarm.includes('"MetricName":"Errors"'))).toHaveLength(7);
    expect(alarms.filter((alarm) => alarm.includes('"MetricName":"Throttles"'))).toHaveLength(7);
    expect(alarms.some((alarm) => alarm.includes('ApproximateAgeOfOldestMessage'))).toBe(true);
    // The oldest image job: past the hour a million-image import takes at prod's concurrency.
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: STAGES.prod.oldestJobAlarmMinutes * 60,
    });
    expect(STAGES.prod.oldestJobAlarmMinutes).toBe(60);
    expect(alarms.filter((alarm) => alarm.includes('ApproximateNumberOfMessagesVisible'))).toHaveLength(2);
    expect(alarms.some((alarm) => alarm.includes('5XXError'))).toBe(true);
    expect(alarms.some((alarm) => alarm.includes('IteratorAge'))).toBe(true);
    expect(alarms.some((alarm) => alarm.includes('ApproximateNumberOfMessagesVisible'))).toBe(true);
    expect(alarms.every((alarm) => alarm.includes('AlarmActions'))).toBe(true);
    prod.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    prod.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it("outputs the API URL, the CDN domain and every name the operators' commands need", () => {
    for (const output of [
      'ApiUrl',
      'CdnDomain',
      'TableName',
      'BucketName',
      'DeadLetterQueueUrl',
      'RenderJobsQueueUrl',
      'EventBusName',
      'FaultRehearsalTemplateId',
    ])
      expect(prod.findOutputs(output)).not.toEqual({});
  });

  it('refuses an unknown stage', () => {
    expect(() => synthesize('staging' as 'dev')).toThrow(/unknown stage/);
  });
});

describe('observability', () => {
  it('has a dashboard whose custom metrics are exactly names the functions emit, in their namespace', () => {
    const [dashboard] = Object.values(prod.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard).replace(/\\"/g, '"');
    const emitted: string[] = Object.values(METRIC);
    const referenced = [
      ...[...body.matchAll(new RegExp(`"${METRIC_NAMESPACE}","(\\w+)"`, 'g'))].map((match) => match[1]),
      ...[...body.matchAll(/MetricName=\\*"(\w+)\\*"/g)].map((match) => match[1]),
    ];
    expect(referenced.length).toBeGreaterThan(6);
    for (const name of referenced) expect(emitted, `${name} is not emitted`).toContain(name);
    for (const name of [
      METRIC.posts,
      METRIC.postToReady,
      METRIC.imagesSettled,
      METRIC.imagesFailed,
      METRIC.streamIteratorAge,
      METRIC.contentRendered,
      METRIC.contentReused,
      METRIC.contentDeleted,
      METRIC.renderTime,
    ]) {
      expect(referenced).toContain(name);
    }
    for (const title of [
      'Requests per route',
      '4xx and 5xx',
      'Latency per route',
      'POST → ready',
      'Dead-letter queue depth',
      'Throttles',
      'Renditions',
      'Render time',
    ]) {
      expect(body).toContain(title);
    }
  });

  it('alarms on POST → ready p99 and on the failed ratio, besides the existing thresholds', () => {
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: METRIC.postToReady, Namespace: METRIC_NAMESPACE }),
            Stat: 'p99',
          }),
        }),
      ],
      Threshold: 60_000,
    });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(ready + failed >= 20, 100 * failed / (ready + failed), 0)' }),
      ]),
      Threshold: 10,
    });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 300_000 });
  });

  it('e-mails alarms with -c alarmEmail, and warns at synth without it', () => {
    const subscribed = synthesize('prod', { alarmEmail: 'ops@example.com' });
    subscribed.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(
      Annotations.fromStack(subscribed.stack).findWarning('*', Match.stringLikeRegexp('no subscriber')),
    ).toEqual([]);
    expect(
      Annotations.fromStack(synthesize('dev').stack).findWarning(
        '*',
        Match.stringLikeRegexp('no subscriber'),
      ),
    ).toHaveLength(1);
    prod.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('completion events', () => {
  it('puts ProductImagesSettled on a bus of the stack, which only the pipeline may write to', () => {
    prod.hasResourceProperties('AWS::Events::EventBus', { Name: 'product-images-prod' });
    const pipeline = statementsOf(prod, 'ProcessStreamRole').find(
      (statement) => statement.Action === 'events:PutEvents',
    );
    expect(JSON.stringify(pipeline?.Resource)).toContain('Events');
    // Only the stream consumer puts events (from the settlement mark's stream record).
    for (const prefix of [
      'GetImagesRole',
      'PostImagesRole',
      'AuthorizeRequestRole',
      'RenderImagesRole',
      'FailDeadJobsRole',
      'SweepPendingRole',
    ]) {
      const statements = statementsOf(prod, prefix);
      expect(statements.length, prefix).toBeGreaterThan(0);
      expect(actionsOf(statements), prefix).not.toContain('events:PutEvents');
    }
    prod.hasOutput('EventBusName', {});
  });
});

describe('per-merchant limits', () => {
  it('meters every method by the usage-plan key the authorizer names, with each stage’s plans', () => {
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    const methods = Object.values(prod.findResources('AWS::ApiGateway::Method')).filter(
      (method) => (method as { Properties: { HttpMethod: string } }).Properties.HttpMethod !== 'OPTIONS',
    );
    expect(methods.length).toBeGreaterThanOrEqual(4);
    for (const method of methods) expect(method).toMatchObject({ Properties: { ApiKeyRequired: true } });
    for (const [template, stage] of [
      [prod, 'prod'],
      [dev, 'dev'],
    ] as const) {
      for (const [plan, limits] of Object.entries(STAGES[stage].usagePlans)) {
        template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
          UsagePlanName: `product-images-${stage}-${plan}`,
          Throttle: { RateLimit: limits.rate, BurstLimit: limits.burst },
          Quota: { Limit: limits.quotaPerDay, Period: 'DAY' },
          ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
        });
      }
    }
    prod.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'QUOTA_EXCEEDED',
      StatusCode: '429',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'60'" }),
    });
  });
});
