import { defineConfig } from 'vitest/config';

// Read by the AWS SDK when it loads, in the global setup's process too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export default defineConfig({
  test: {
    // Metrics are EMF lines on stdout: off in tests but where a test turns them on to read them.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: {
            TABLE_NAME: 'unit-test-table',
            AWS_REGION: 'eu-west-1',
            BUCKET_NAME: 'unit-test-bucket',
            RENDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/unit-test-jobs',
            CDN_BASE_URL: 'https://cdn.example.test',
            PAGE_CURSOR_KEY: 'unit-test-cursor-key',
            LOG_LEVEL: 'silent',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env: { LOG_LEVEL: 'silent' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
