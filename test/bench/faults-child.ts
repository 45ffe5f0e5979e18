import { startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { runFaultedImport } from '../helpers/faulted-import';

/**
 * One faulted import in a process of its own (the functions read their environment once per process):
 * `faults-child.ts <FAULTS> <seed>`; prints the result as one JSON line.
 */
const [faults = '', seed = '1'] = process.argv.slice(2);
const dynamo = await startDynamoDbLocal();
try {
  const result = await runFaultedImport({ dynamodbEndpoint: dynamo.endpoint, faults, seed: Number(seed) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await dynamo.stop();
}
process.exit(0);
