import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIS_EXTENSION_PARAMETER, RENDERER_REHEARSAL } from '../../infra/constructs/fault-rehearsal';
import { synthesize } from '../helpers/synth';

let template: Template;
let rendererId: string;
let alarmId: string;
beforeAll(() => {
  const { stack, template: synthesized } = synthesize('dev');
  template = synthesized;
  rendererId = stack.getLogicalId(stack.functions.renderImages.function.node.defaultChild as CfnElement);
  alarmId = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).find((id) =>
    id.includes('DeadImageJobsAlarm'),
  ) as string;
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOfRole(prefix: string): Statement[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(
      ([, policy]) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}

describe('the renderer fault rehearsal (FIS), synthesized per stage', () => {
  it('is one experiment template: 20 % of the renderer’s invocations fail and 20 % start late, for ten minutes', () => {
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 1);
    const target = { Functions: 'Renderer' };
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Targets: {
        Renderer: {
          ResourceType: 'aws:lambda:function',
          ResourceArns: [{ 'Fn::GetAtt': [rendererId, 'Arn'] }],
          SelectionMode: 'ALL',
        },
      },
      Actions: {
        FailInvocations: {
          ActionId: 'aws:lambda:invocation-error',
          Parameters: { duration: 'PT10M', invocationPercentage: '20', preventExecution: 'true' },
          Targets: target,
        },
        DelayInvocations: {
          ActionId: 'aws:lambda:invocation-add-delay',
          Parameters: {
            duration: RENDERER_REHEARSAL.duration,
            invocationPercentage: '20',
            startupDelayMilliseconds: '10000',
          },
          Targets: target,
        },
      },
    });
  });

  it('stops on the dead-job alarm', () => {
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      StopConditions: [{ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [alarmId, 'Arn'] } }],
    });
  });

  it('is never started by the stack: nothing but an operator starts an experiment', () => {
    const everything = JSON.stringify(template.toJSON());
    expect(everything).not.toContain('fis:StartExperiment');
    expect(Object.keys(template.findResources('Custom::AWS'))).toEqual([]);
  });

  it('gives the experiment’s role only what the Lambda actions need, assumed by FIS of this account alone', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'fis.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const statements = statementsOfRole('FaultRehearsalExperimentRole');
    expect(statements.map((statement) => [statement.Action].flat().sort())).toEqual([
      ['s3:DeleteObject', 's3:PutObject'],
      ['lambda:GetFunction'],
      ['tag:GetResources'],
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain('/FisConfigs/*');
    expect(statements[1]?.Resource).toEqual({ 'Fn::GetAtt': [rendererId, 'Arn'] });
  });

  it('puts the FIS extension on the renderer alone, reading its configuration from the rehearsal’s bucket', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const withExtension = Object.entries(functions).filter(([, resource]) =>
      JSON.stringify(resource).includes('AWS_FIS_CONFIGURATION_LOCATION'),
    );
    expect(withExtension.map(([id]) => id)).toEqual([rendererId]);
    const renderer = functions[rendererId] as {
      Properties: { Environment: { Variables: Record<string, unknown> }; Layers: unknown[] };
    };
    expect(renderer.Properties.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBe('/opt/aws-fis/bootstrap');
    expect(JSON.stringify(renderer.Properties.Layers)).toContain('Parameter');
    const parameters = template.toJSON().Parameters as Record<string, { Default?: string }>;
    expect(Object.values(parameters).map((parameter) => parameter.Default)).toContain(
      FIS_EXTENSION_PARAMETER,
    );
    const reads = statementsOfRole('RenderImagesRole').filter((statement) =>
      JSON.stringify(statement).includes('FisConfigs'),
    );
    expect(reads.map((statement) => [statement.Action].flat())).toEqual([
      ['s3:ListBucket'],
      ['s3:GetObject'],
    ]);
  });

  it('keeps the configurations in a private, TLS-only, logged bucket that forgets them after a day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'fault-rehearsal-configuration/' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 1 })] },
    });
  });
});
