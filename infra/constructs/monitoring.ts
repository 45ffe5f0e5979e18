import { Annotations, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
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
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRIC_NAMESPACE, METRIC_SERVICE } from '../../lib/metrics';
import { STAGES, type StageName } from '../stages';
import { RESOURCE_PATH } from './image-api';
import type { ServiceFunction } from './service-function';

export interface MonitoringProps {
  stage: StageName;
  /** The deployment's name (`deploymentName`): the stage, or the merchant's and the stage. */
  name: string;
  api: RestApi;
  /** Every function, by the name alarms and widgets show. */
  functions: Record<string, ServiceFunction>;
  /** The function fed by the table's stream. */
  streamConsumer: ServiceFunction;
  deadLetters: Queue;
  /** The image jobs' queue and its dead-letter queue, and the renderer that consumes them. */
  jobs: Queue;
  deadJobs: Queue;
  renderer: ServiceFunction;
  /** Where alarms are e-mailed; without it synth warns that nobody hears them. */
  alarmEmail?: string;
  removalPolicy: RemovalPolicy;
}

/** Alarms on an encrypted topic, and the dashboard a person on call opens first. */
export class Monitoring extends Construct {
  readonly alarms: Topic;
  readonly dashboard: Dashboard;
  /** Images whose jobs died: the fault rehearsal's stop condition. */
  readonly deadJobsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stage = STAGES[props.stage];
    const { api, functions, streamConsumer, deadLetters, jobs, deadJobs, renderer } = props;
    const alarmKey = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'product-images alarm topic encryption',
      removalPolicy: props.removalPolicy,
    });
    alarmKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarms = new Topic(this, 'Alarms', { masterKey: alarmKey, enforceSSL: true });
    const notify = new SnsAction(this.alarms);
    const alarm = (id: string, alarmProps: ConstructorParameters<typeof Alarm>[2]) => {
      const made = new Alarm(this, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...alarmProps });
      made.addAlarmAction(notify);
      return made;
    };

    alarm('Api5xxRateAlarm', {
      alarmDescription: 'More than 1% of API requests answered 5xx over 5 minutes',
      metric: new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
          requests: api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const fiveMinuteSum = { period: Duration.minutes(5), statistic: 'Sum' };
    for (const [name, { function: fn }] of Object.entries(functions)) {
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
      metric: streamConsumer.function.metric('IteratorAge', {
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

    alarm('OldestImageJobAlarm', {
      alarmDescription: `An image job has waited more than ${stage.oldestJobAlarmMinutes} minutes for the renderer`,
      metric: jobs.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: stage.oldestJobAlarmMinutes * 60,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.deadJobsAlarm = alarm('DeadImageJobsAlarm', {
      alarmDescription:
        'Image jobs reached their dead-letter queue (the renderer kept crashing or timing out on them)',
      metric: deadJobs.metricApproximateNumberOfMessagesVisible({
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
      this.alarms.addSubscription(new EmailSubscription(props.alarmEmail));
    } else {
      Annotations.of(this).addWarningV2(
        'product-images:no-alarm-subscription',
        'The alarm topic has no subscriber: give -c alarmEmail=ops@example.com (or subscribe the AlarmTopicArn output) so alarms reach a person.',
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `product-images-${props.name}`,
      defaultInterval: Duration.hours(6),
    });
    const apiMetric = (metricName: string, method: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: {
          ApiName: api.restApiName,
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
        left: [api.metricClientError({ statistic: 'Sum' }), api.metricServerError({ statistic: 'Sum' })],
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
          streamConsumer.function.metric('IteratorAge', { statistic: 'Maximum' }),
          custom(METRIC.streamIteratorAge, pipelineService, {}, 'Maximum'),
        ],
        right: [custom(METRIC.streamBatchSize, pipelineService, {}, 'Average')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Throttles',
        left: Object.entries(functions).map(([name, { function: fn }]) =>
          fn.metricThrottles({ statistic: 'Sum', label: name }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Image jobs: waiting, in flight, dead',
        left: [
          jobs.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: 'waiting' }),
          jobs.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', label: 'in flight' }),
          deadJobs.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: 'dead' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Oldest image job (seconds)',
        left: [jobs.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Renderer invocations at once',
        left: [renderer.function.metric('ConcurrentExecutions', { statistic: 'Maximum', label: 'renderer' })],
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
  }
}
