import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { executableOf } from '../helpers/browser';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One DynamoDB Local for the whole run; every test file makes its own table in it. */
export default async function setup(project: TestProject) {
  // The packaged Chromium is unpacked once, here, before the test files run side by side: two workers
  // unpacking it at once could each find the other's half-written file.
  await executableOf({ kind: 'packaged' });
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
