import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Environment } from '../lib/config';
import { LOCAL_REGION } from './local/dynamodb-local';
import { type LocalRuntime, RUNTIME_FILE } from './local/runtime-file';
import { S3RVER_CREDENTIALS } from './local/s3-local';

/**
 * What an operator's command (rerender, audit) works on: the deployed table and bucket named in the
 * environment, or else the local service `npm start` runs from this folder (found through `.local/`).
 */
export function targetEnvironment(): Environment {
  // These commands publish no event: the CDN base builds no URL here, but the configuration wants one.
  const unused = { CDN_BASE_URL: process.env.CDN_BASE_URL || 'https://cdn.invalid' };
  if (process.env.TABLE_NAME)
    return { ...process.env, ...unused, LOG_LEVEL: process.env.LOG_LEVEL || 'error' };
  if (!existsSync(RUNTIME_FILE)) {
    throw new Error('no local service is running (start it with npm start) and TABLE_NAME is not set');
  }
  const runtime = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as LocalRuntime;
  return {
    TABLE_NAME: runtime.tableName,
    DYNAMODB_ENDPOINT: runtime.dynamodbEndpoint,
    AWS_REGION: LOCAL_REGION,
    BUCKET_NAME: runtime.bucket,
    S3_ENDPOINT: runtime.s3Endpoint,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    CDN_BASE_URL: runtime.cdnBaseUrl,
    DEAD_LETTER_FILE: resolve('.local', 'dead-letters.jsonl'),
    VARIANT_WIDTHS: process.env.VARIANT_WIDTHS || runtime.variantWidths.join(','),
    ...(runtime.sqsEndpoint && runtime.renderQueueUrl
      ? { SQS_ENDPOINT: runtime.sqsEndpoint, RENDER_QUEUE_URL: runtime.renderQueueUrl }
      : {}),
    LOG_LEVEL: process.env.LOG_LEVEL || 'error',
  };
}
