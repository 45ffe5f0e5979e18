import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../lib/logger';
import { LOCAL_REGION } from './dynamodb-local';
import { localLambdaContext } from './lambda-context';

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface QueuePollerOptions {
  endpoint: string;
  queueUrl: string;
  handler: QueueHandler;
  functionName: string;
  logger: Logger;
  /** Messages per invocation (the event source's batch size). */
  batchSize: number;
  /** Invocations at once (the event source's maximum concurrency). */
  maxConcurrency: number;
  pollIntervalMs?: number;
}

export interface RunningQueuePoller {
  stop(): Promise<void>;
}

function toRecord(message: Message, queueUrl: string): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:000000000000:${queueUrl.split('/').pop()}`,
    awsRegion: LOCAL_REGION,
  };
}

/**
 * Local mode's SQS event source mapping: `maxConcurrency` loops each receive up to `batchSize`
 * messages, call the handler with them, and delete those not reported as batch item failures. A
 * reported or crashed message stays in the queue and comes back after its visibility timeout; after
 * the queue's receive limit the engine moves it to the dead-letter queue, as SQS does.
 */
export function startQueuePoller(options: QueuePollerOptions): RunningQueuePoller {
  const sqs = new SQSClient({
    endpoint: options.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  let stopping = false;

  const loop = async () => {
    while (!stopping) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        if (Messages.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
          continue;
        }
        const records = Messages.map((message) => toRecord(message, options.queueUrl));
        let failed: Set<string>;
        try {
          const response = await options.handler(
            { Records: records },
            localLambdaContext(options.functionName, 300_000),
          );
          failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        } catch (error) {
          options.logger.error(`${options.functionName} failed`, { error });
          failed = new Set(records.map((record) => record.messageId));
        }
        const done = records.filter((record) => !failed.has(record.messageId));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done.map((record, index) => ({
                Id: String(index),
                ReceiptHandle: record.receiptHandle,
              })),
            }),
          );
        }
      } catch (error) {
        if (!stopping) options.logger.warn('queue poll failed', { error });
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    }
  };
  const loops = Array.from({ length: options.maxConcurrency }, loop);
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      sqs.destroy();
    },
  };
}
