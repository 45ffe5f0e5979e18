import { type Environment, loadPipelineConfig } from '../../lib/config';

/** The deployed pipeline's configuration, for tests with mocked AWS clients. */
export function mockedPipelineConfig(extra: Environment = {}) {
  return loadPipelineConfig({
    TABLE_NAME: 'unit-test-table',
    AWS_REGION: 'eu-west-1',
    BUCKET_NAME: 'cdn-origin',
    CDN_BASE_URL: 'https://d123.cloudfront.net',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    RENDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/render-jobs',
    LOG_LEVEL: 'silent',
    ...extra,
  });
}
