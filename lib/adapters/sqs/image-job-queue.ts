import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type ImageJob, type ImageJobQueue, serializeJob } from '../../pipeline/image-jobs';

/** SendMessageBatch takes at most 10 messages. */
const BATCH = 10;

/** Image jobs as SQS messages, ten to a request. */
export class SqsImageJobQueue implements ImageJobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly ImageJob[], delaySeconds?: number): Promise<void> {
    const batches: ImageJob[][] = [];
    for (let index = 0; index < jobs.length; index += BATCH) batches.push(jobs.slice(index, index + BATCH));
    await Promise.all(
      batches.map(async (batch) => {
        const { Failed } = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((job, index) => ({
              Id: String(index),
              MessageBody: serializeJob(job),
              DelaySeconds: delaySeconds,
            })),
          }),
        );
        if (Failed && Failed.length > 0) {
          const reasons = [...new Set(Failed.map((failure) => failure.Code ?? 'unknown'))].join(', ');
          throw Object.assign(new Error(`${Failed.length} image job(s) not enqueued: ${reasons}`), {
            name: 'EnqueueFailed',
          });
        }
      }),
    );
  }

  /** Jobs waiting to be received (SQS's approximate count; delayed and in-flight ones not included). */
  async backlog(): Promise<number> {
    const { Attributes } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }
}
