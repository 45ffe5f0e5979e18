import { loadPipelineConfig, requireRenderQueue } from '../lib/config';
import { createSettlingDependencies } from '../lib/pipeline-service';
import { createDeadJobsHandler } from './job-handlers';

/** The image jobs' dead-letter queue: fails the image of each job SQS gave up on. */
export const handler = createDeadJobsHandler(
  createSettlingDependencies(requireRenderQueue(loadPipelineConfig())),
);
