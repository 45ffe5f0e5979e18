import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnExperimentTemplate } from 'aws-cdk-lib/aws-fis';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { ServiceFunction } from './service-function';

/** What the rehearsal does to the renderer, and for how long. */
export const RENDERER_REHEARSAL = {
  /** ISO 8601, as FIS reads it. */
  duration: 'PT10M',
  failedPercentage: 20,
  delayedPercentage: 20,
  /** How long a delayed invocation waits before the handler runs. */
  delayMs: 10_000,
} as const;

/** Where FIS publishes the Lambda extension for x86_64 (the renderer's architecture), in every region. */
export const FIS_EXTENSION_PARAMETER = '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x';

/** The folder of the configuration bucket FIS writes an experiment's faults to, and the extension reads. */
const CONFIG_PREFIX = 'FisConfigs/';

export interface FaultRehearsalProps {
  name: string;
  renderer: ServiceFunction;
  /** Stops the experiment when it goes into alarm: images whose jobs died. */
  stopAlarm: IAlarm;
  accessLogs: IBucket;
  removalPolicy: RemovalPolicy;
}

/**
 * A Fault Injection Service experiment template that rehearses a bad day for the renderer, deployed
 * with the stack and never started by it: for ten minutes, 20 % of its invocations fail before the
 * handler runs and another 20 % start ten seconds late. The renderer carries AWS's FIS extension
 * (a layer, idle until an experiment writes its configuration); the dead-job alarm stops the
 * experiment. The runbook (docs/operating.md) says how to start it and what to watch.
 */
export class FaultRehearsal extends Construct {
  readonly template: CfnExperimentTemplate;
  readonly role: Role;
  readonly configuration: Bucket;

  constructor(scope: Construct, id: string, props: FaultRehearsalProps) {
    super(scope, id);
    const { renderer } = props;
    this.configuration = new Bucket(this, 'Configuration', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'fault-rehearsal-configuration/',
      // An experiment's configuration is only read while it runs.
      lifecycleRules: [{ expiration: Duration.days(1) }],
      removalPolicy: props.removalPolicy,
    });
    const configurationObjects = this.configuration.arnForObjects(`${CONFIG_PREFIX}*`);

    renderer.function.addLayers(
      LayerVersion.fromLayerVersionArn(
        this,
        'FisExtension',
        StringParameter.valueForStringParameter(this, FIS_EXTENSION_PARAMETER),
      ),
    );
    renderer.function.addEnvironment(
      'AWS_FIS_CONFIGURATION_LOCATION',
      `${this.configuration.bucketArn}/${CONFIG_PREFIX}`,
    );
    renderer.function.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/aws-fis/bootstrap');
    renderer.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.configuration.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${CONFIG_PREFIX}*`] } },
      }),
    );
    renderer.role.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [configurationObjects] }),
    );

    const { account } = Stack.of(this);
    this.role = new Role(this, 'ExperimentRole', {
      description: `${props.name}: what the renderer's fault rehearsal may do`,
      assumedBy: new ServicePrincipal('fis.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [configurationObjects],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['lambda:GetFunction'], resources: [renderer.function.functionArn] }),
    );
    // FIS resolves its targets through the tagging API, which has no resource-level permissions.
    this.role.addToPolicy(new PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));

    const targets = { Functions: 'Renderer' };
    this.template = new CfnExperimentTemplate(this, 'RendererFaults', {
      description: `${props.name}: for ten minutes ${RENDERER_REHEARSAL.failedPercentage} % of the renderer's invocations fail and ${RENDERER_REHEARSAL.delayedPercentage} % start ${RENDERER_REHEARSAL.delayMs / 1000} s late; stops on the dead-job alarm`,
      roleArn: this.role.roleArn,
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: props.stopAlarm.alarmArn }],
      targets: {
        Renderer: {
          resourceType: 'aws:lambda:function',
          resourceArns: [renderer.function.functionArn],
          selectionMode: 'ALL',
        },
      },
      actions: {
        FailInvocations: {
          actionId: 'aws:lambda:invocation-error',
          description: 'Invocations fail before the handler runs: the batch returns to the queue',
          parameters: {
            duration: RENDERER_REHEARSAL.duration,
            invocationPercentage: String(RENDERER_REHEARSAL.failedPercentage),
            preventExecution: 'true',
          },
          targets,
        },
        DelayInvocations: {
          actionId: 'aws:lambda:invocation-add-delay',
          description: 'Invocations start late: jobs wait longer in the queue',
          parameters: {
            duration: RENDERER_REHEARSAL.duration,
            invocationPercentage: String(RENDERER_REHEARSAL.delayedPercentage),
            startupDelayMilliseconds: String(RENDERER_REHEARSAL.delayMs),
          },
          targets,
        },
      },
      tags: { Name: `${props.name}-renderer-faults` },
    });
  }
}
