import { startFauxqs } from 'fauxqs';

export interface RunningSqsLocal {
  endpoint: string;
  /** The image jobs' queue, redriven to `deadJobsQueueUrl` after `maxReceiveCount` receives. */
  jobsQueueUrl: string;
  deadJobsQueueUrl: string;
  stop(): Promise<void>;
}

/** How the local jobs queue is set up: as the stack sets up the deployed one, scaled to this machine. */
export interface LocalQueueSettings {
  /** Seconds a received job stays invisible: longer than the longest local render. */
  visibilityTimeoutSeconds: number;
  /** Receives before a job goes to the dead-letter queue. */
  maxReceiveCount: number;
}

export const LOCAL_QUEUE_SETTINGS: LocalQueueSettings = { visibilityTimeoutSeconds: 300, maxReceiveCount: 3 };

/**
 * An SQS-compatible engine in this process (fauxqs: visibility timeouts, receive counts, redrive to a
 * dead-letter queue). Its state is in memory only: jobs queued when local mode stops are gone, and the
 * sweeper enqueues their images again at the next start.
 */
export async function startSqsLocal(
  settings: LocalQueueSettings = LOCAL_QUEUE_SETTINGS,
): Promise<RunningSqsLocal> {
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const dead = server.createQueue('render-jobs-dead-letters');
  const jobs = server.createQueue('render-jobs', {
    attributes: {
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dead.queueArn,
        maxReceiveCount: settings.maxReceiveCount,
      }),
    },
  });
  return {
    endpoint: server.address,
    jobsQueueUrl: jobs.queueUrl,
    deadJobsQueueUrl: dead.queueUrl,
    stop: () => server.stop(),
  };
}
