import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizeRequestHandler } from '../../functions/authorize-request';
import { createGetImagesHandler } from '../../functions/get-images';
import { createPostImagesHandler } from '../../functions/post-images';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import { API_KEY, mockDynamo, storedItem, testDependencies } from '../helpers/dynamo-mock';
import { lambdaContext, RESOURCE } from '../helpers/events';
import { fixtureEvent, fixturesMissing, hasFixtures } from '../helpers/fixtures';

/**
 * Events that API Gateway really sends, as published by AWS's own libraries. Only what must differ for
 * this API is changed: the path, the method, `Authorization` and the authorizer's context; every other
 * field (headers, multi-value maps, nulls, base64 bodies, stage paths) stays as the sample has it.
 */
const PROXY_SAMPLES = [
  'lambda-go.apigw-request.json',
  'powertools-py.apiGatewayProxyEvent.json',
  'powertools-ts.apigw-rest.console-test-ui.json',
  'powertools-ts.apigw-rest.lambda-authorizer-auth.json',
  'powertools-ts.apigw-rest.no-auth.json',
  'java-libs.apigw_rest_event.json',
  'sam.aws-proxy.json',
];
const AUTHORIZER_SAMPLES = [
  'lambda-go.apigw-custom-auth-request-type-request.json',
  'powertools-ts.apigw-rest.authorizer-request.json',
  'powertools-py.apiGatewayAuthorizerRequestEvent.json',
  'java-libs.apigw_auth.json',
  'sam.request-authorizer.json',
];

function adapted(name: string, method: string): APIGatewayProxyEvent {
  const event = fixtureEvent<APIGatewayProxyEvent>(name);
  const stage = event.requestContext.stage;
  return {
    ...event,
    httpMethod: method,
    path: RESOURCE,
    resource: '/api/i1/downloadable_image',
    requestContext: {
      ...event.requestContext,
      httpMethod: method,
      path: `/${stage}${RESOURCE}`,
      resourcePath: '/api/i1/downloadable_image',
      authorizer: { principalId: 'shop' },
    },
  };
}

/** A query or header sent several times, as API Gateway shows it: one value in the plain map, all in the multi-value map. */
function withRepeated(
  event: APIGatewayProxyEvent,
  where: 'query' | 'header',
  name: string,
  values: string[],
  single: string,
): APIGatewayProxyEvent {
  if (where === 'query') {
    return {
      ...event,
      queryStringParameters: { ...event.queryStringParameters, [name]: single },
      multiValueQueryStringParameters: { ...event.multiValueQueryStringParameters, [name]: values },
    };
  }
  return {
    ...event,
    headers: { ...event.headers, [name]: single },
    multiValueHeaders: { ...event.multiValueHeaders, [name]: values },
  };
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

let ddb: ReturnType<typeof mockDynamo>;
beforeEach(() => {
  ddb = mockDynamo();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(BatchGetCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(UpdateCommand, { Key: keys.imageIdCounter }).resolves({ Attributes: { value: 1000 } });
});
afterEach(() => ddb.restore());

describe.skipIf(!hasFixtures)(`real API Gateway sample events (${fixturesMissing} when skipped)`, () => {
  const getImages = createGetImagesHandler(testDependencies());
  const postImages = createPostImagesHandler(testDependencies());

  it.each(PROXY_SAMPLES)(
    '%s as a GET lists products, with links on the sample host and stage',
    async (name) => {
      const response = await getImages(adapted(name, 'GET'), lambdaContext());
      expect(response.statusCode).toBe(200);
      expect(json(response.body)).toEqual({ count: 0, next: null, previous: null, results: [] });
      expect(response.headers?.['Content-Type']).toBe('application/json; charset=utf-8');
    },
  );

  it.each(PROXY_SAMPLES)('%s as a POST gets the contract answer for its own body', async (name) => {
    const event = adapted(name, 'POST');
    const response = await postImages(event, lambdaContext());
    const contentType = Object.entries(event.headers ?? {}).find(
      ([key]) => key.toLowerCase() === 'content-type',
    )?.[1];
    if (event.body && contentType !== 'application/json') {
      expect(response.statusCode).toBe(415);
      expect(json(response.body)).toEqual({
        detail: `Unsupported media type "${contentType ?? ''}" in request.`,
      });
    } else {
      expect(response.statusCode).toBe(400);
      expect(json(response.body)).toEqual({
        product_sku: ['This field is required.'],
        images: ['This field is required.'],
      });
    }
    expect(ddb.commandCalls(UpdateCommand, { Key: keys.sku('A') })).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('reads a repeated query parameter as its last value, as Django does', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku('b') })
      .resolves({ Item: storedItem('b', 'v1', [{ id: 1, url: 'https://e/b' }]) });
    const base = adapted('powertools-py.apiGatewayProxyEvent.json', 'GET');
    const event = withRepeated(base, 'query', 'product_sku', ['a', 'b'], 'a');
    const response = await getImages(event, lambdaContext());
    expect(json(response.body)).toMatchObject({ count: 1, results: [{ product_sku: 'b' }] });

    const limited = withRepeated(base, 'query', 'limit', ['1', '2'], '1');
    const page = await getImages(withRepeated(limited, 'query', 'page', ['x', '1'], 'x'), lambdaContext());
    expect(page.statusCode).toBe(200);
  });

  it('joins an If-Match sent on two lines, so a tag on either line matches', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku('A') })
      .resolves({ Item: storedItem('A', 'v2', [{ id: 1, url: 'https://e/a' }]) });
    const base = adapted('java-libs.apigw_rest_event.json', 'POST');
    const event = withRepeated(
      {
        ...base,
        body: JSON.stringify({ product_sku: 'A', images: [{ url: 'https://e/b' }] }),
        headers: { ...base.headers, 'Content-Type': 'application/json' },
      },
      'header',
      'If-Match',
      ['"v1"', '"v2"'],
      '"v1"',
    );
    const response = await postImages(event, lambdaContext());
    expect(response.statusCode).toBe(200);
    expect(ddb.commandCalls(UpdateCommand, { Key: keys.sku('A') })).toHaveLength(1);
  });

  it.each(AUTHORIZER_SAMPLES)(
    '%s is decided by the authorizer from its Authorization header',
    async (name) => {
      const authorize = createAuthorizeRequestHandler(testDependencies());
      const sample = fixtureEvent<APIGatewayRequestAuthorizerEvent>(name);
      const withKey = (value: string | null): APIGatewayRequestAuthorizerEvent => {
        const headers = Object.fromEntries(
          Object.entries(sample.headers ?? {}).filter(([key]) => key.toLowerCase() !== 'authorization'),
        );
        const multi = Object.fromEntries(
          Object.entries(sample.multiValueHeaders ?? {}).filter(
            ([key]) => key.toLowerCase() !== 'authorization',
          ),
        );
        return {
          ...sample,
          headers: value === null ? headers : { ...headers, Authorization: value },
          multiValueHeaders: sample.multiValueHeaders
            ? value === null
              ? multi
              : { ...multi, Authorization: [value] }
            : sample.multiValueHeaders,
        };
      };
      const allowed = await authorize(withKey(`Token ${API_KEY}`), lambdaContext());
      expect(allowed.principalId).toBe('shop');
      expect(allowed.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
      await expect(authorize(withKey(null), lambdaContext())).rejects.toThrow('Unauthorized');
      await expect(authorize(withKey('Bearer foo'), lambdaContext())).rejects.toThrow('Unauthorized');
      const denied = await authorize(withKey(`Token ${'0'.repeat(40)}`), lambdaContext());
      expect(denied.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    },
  );
});
