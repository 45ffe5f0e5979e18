import type { AwsService, ClientHook, HookableClient } from '../../lib/adapters/client-hooks';
import type { FaultPlan } from './fault-plan';

/** An HTTP answer as the SDK's deserializers read it (a plain object passes its duck-typed checks). */
interface FakeResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

const json = (statusCode: number, type: string, body: object): FakeResponse => ({
  statusCode,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-errortype': type,
    'x-amzn-requestid': 'fault',
  },
  body: new TextEncoder().encode(JSON.stringify(body)),
});

const xml = (statusCode: number, code: string, message: string): FakeResponse => ({
  statusCode,
  headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'fault' },
  body: new TextEncoder().encode(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`,
  ),
});

const DYNAMODB = 'com.amazonaws.dynamodb.v20120810';

/** What each service answers when it fails, as it answers it: the SDK parses these into its own errors. */
interface ServiceFault {
  kind: string;
  answer: (request: FaultedRequest) => FakeResponse;
  /** Only requests this holds for can meet this fault (absent: every request). */
  applies?: (request: FaultedRequest) => boolean;
}

interface FaultedRequest {
  body?: unknown;
  headers?: Record<string, string>;
}

/** DynamoDB's writes: only they meet a transaction in progress on their item (reads see the last commit). */
const DYNAMODB_WRITES = /\.(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/;

export const SERVICE_FAULTS: Record<AwsService, readonly ServiceFault[]> = {
  dynamodb: [
    {
      kind: 'ProvisionedThroughputExceededException',
      answer: () =>
        json(400, 'ProvisionedThroughputExceededException', {
          __type: `${DYNAMODB}#ProvisionedThroughputExceededException`,
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        }),
    },
    {
      kind: 'ThrottlingException',
      answer: () =>
        json(400, 'ThrottlingException', {
          __type: `${DYNAMODB}#ThrottlingException`,
          message: 'Throughput exceeds the current capacity of your table or index.',
        }),
    },
    {
      kind: 'InternalServerError',
      answer: () =>
        json(500, 'InternalServerError', {
          __type: `${DYNAMODB}#InternalServerError`,
          message: 'Internal server error',
        }),
    },
    {
      kind: 'TransactionConflictException',
      applies: (request) => DYNAMODB_WRITES.test(request.headers?.['x-amz-target'] ?? ''),
      answer: () =>
        json(400, 'TransactionConflictException', {
          __type: `${DYNAMODB}#TransactionConflictException`,
          message: 'Transaction is ongoing for the item',
        }),
    },
  ],
  s3: [
    { kind: 'SlowDown', answer: () => xml(503, 'SlowDown', 'Please reduce your request rate.') },
    {
      kind: 'InternalError',
      answer: () => xml(500, 'InternalError', 'We encountered an internal error. Please try again.'),
    },
  ],
  sqs: [
    {
      kind: 'InternalFailure',
      answer: () => ({
        ...json(500, 'InternalFailure', {
          __type: 'com.amazon.coral.service#InternalFailure',
          message: 'The request processing has failed because of an unknown error.',
        }),
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': 'InternalFailure;Receiver',
          'x-amzn-requestid': 'fault',
        },
      }),
    },
    {
      kind: 'ServiceUnavailable',
      answer: () =>
        json(503, 'ServiceUnavailable', {
          __type: 'com.amazon.coral.service#ServiceUnavailable',
          message: 'The request has failed due to a temporary failure of the server.',
        }),
    },
  ],
  events: [
    {
      // PutEvents answers 200 and fails entries one by one: every entry of this call comes back failed.
      kind: 'FailedEntries',
      answer: (request) => {
        const entries = (() => {
          try {
            return (JSON.parse(String(request.body ?? '{}')) as { Entries?: unknown[] }).Entries?.length ?? 1;
          } catch {
            return 1;
          }
        })();
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fault' },
          body: new TextEncoder().encode(
            JSON.stringify({
              FailedEntryCount: entries,
              Entries: Array.from({ length: entries }, () => ({
                ErrorCode: 'InternalFailure',
                ErrorMessage: 'Internal failure injected by FAULTS',
              })),
            }),
          ),
        };
      },
    },
  ],
};

type Next = (args: { request: FaultedRequest }) => Promise<{ response: unknown; output?: unknown }>;

/**
 * The SDK middleware that fails calls the way the service does: placed right after the deserializer,
 * below the SDK's retry layer, so every attempt the SDK makes may fail and the SDK's retries, and ours
 * above them, run exactly as deployed. A failing attempt never reaches the engine.
 */
export function faultMiddleware(plan: FaultPlan, service: AwsService) {
  return (next: Next) => async (args: { request: FaultedRequest }) => {
    if (!plan.shouldFail(service)) return next(args);
    const fault = plan.pick(SERVICE_FAULTS[service].filter((each) => each.applies?.(args.request) ?? true));
    plan.record(service, fault.kind);
    return { response: fault.answer(args.request) };
  };
}

/** The client hook that puts the middleware on every client of a service `FAULTS` names. */
export function sdkFaultHook(plan: FaultPlan): ClientHook {
  return (client: HookableClient, service: AwsService) => {
    if (!(plan.rates[service] ?? 0)) return;
    const stack = client.middlewareStack as unknown as {
      add: (middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }) => void;
      addRelativeTo: (
        middleware: unknown,
        options: { relation: 'after'; toMiddleware: string; name: string; override?: boolean },
      ) => void;
    };
    stack.addRelativeTo(faultMiddleware(plan, service), {
      relation: 'after',
      toMiddleware: 'deserializerMiddleware',
      name: 'faultInjectionMiddleware',
      override: true,
    });
    // Above the retry layer: once per command, so attempts less operations are the SDK's retries.
    stack.add(
      (next: Next) => async (args: { request: FaultedRequest }) => {
        plan.countOperation(service);
        return next(args);
      },
      { step: 'initialize', name: 'faultOperationCounter', override: true },
    );
  };
}
