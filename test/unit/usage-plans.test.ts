import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizeRequestHandler } from '../../functions/authorize-request';
import { runTokenCommand } from '../../infra/tokens';
import { UsagePlans } from '../../infra/usage-plans';
import { createAuthenticator } from '../../lib/auth/authenticator';
import type { ApiKeyRecord } from '../../lib/auth/token-store';
import { createLogger } from '../../lib/logger';
import { lambdaContext } from '../helpers/events';
import { memoryStore } from '../helpers/memory-token-store';

const apiGateway = mockClient(APIGatewayClient);
let records: ApiKeyRecord[];
let keyCount = 0;

beforeEach(() => {
  records = [];
  apiGateway.reset();
  apiGateway.on(GetUsagePlansCommand).resolves({
    items: [
      { id: 'plan-default', name: 'product-images-prod-default' },
      { id: 'plan-large', name: 'product-images-prod-large' },
    ],
  });
  apiGateway.on(CreateApiKeyCommand).callsFake(() => {
    keyCount++;
    return { id: `gw-key-${keyCount}`, value: `usage-value-${keyCount}` };
  });
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
  apiGateway.on(DeleteApiKeyCommand).resolves({});
});
afterEach(() => apiGateway.reset());

const token = (...args: string[]) =>
  runTokenCommand(
    args,
    () => memoryStore(records),
    () => new UsagePlans(new APIGatewayClient({ region: 'eu-west-1' }), 'prod'),
  );

describe('npm run token with usage plans (deployed)', () => {
  it('puts a new key on the default plan, or on the one named, through its own API Gateway key', async () => {
    await token('create', 'shop-a');
    await token('create', 'shop-b', '--plan', 'large');
    expect(records.map((record) => [record.name, record.usagePlan, record.usageKeyId])).toEqual([
      ['shop-a', 'default', 'gw-key-1'],
      ['shop-b', 'large', 'gw-key-2'],
    ]);
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand).map((call) => call.args[0].input)).toEqual([
      { usagePlanId: 'plan-default', keyId: 'gw-key-1', keyType: 'API_KEY' },
      { usagePlanId: 'plan-large', keyId: 'gw-key-2', keyType: 'API_KEY' },
    ]);
  });

  it('refuses a plan the stage does not have, storing nothing', async () => {
    await expect(token('create', 'shop-c', '--plan', 'gold')).rejects.toThrow(
      /no usage plan "product-images-prod-gold"/,
    );
    expect(records).toEqual([]);
  });

  it('moves a key to another plan, and removes its usage-plan key when it is revoked', async () => {
    await token('create', 'shop-a');
    const first = records[0]?.usageKeyId;
    await token('plan', 'shop-a', 'large');
    expect(records[0]).toMatchObject({ usagePlan: 'large' });
    expect(apiGateway.commandCalls(DeleteApiKeyCommand).map((call) => call.args[0].input.apiKey)).toEqual([
      first,
    ]);
    const moved = records[0]?.usageKeyId;
    await token('revoke', 'shop-a');
    expect(records).toEqual([]);
    expect(apiGateway.commandCalls(DeleteApiKeyCommand).map((call) => call.args[0].input.apiKey)).toEqual([
      first,
      moved,
    ]);
  });
});

describe('the authorizer', () => {
  it("returns the key's usage-plan key as usageIdentifierKey, so API Gateway meters that merchant alone", async () => {
    await token('create', 'shop-a');
    const created = await runTokenCommand(
      ['create', 'shop-b', '--plan', 'large'],
      () => memoryStore(records),
      () => new UsagePlans(new APIGatewayClient({ region: 'eu-west-1' }), 'prod'),
    );
    const key = created.split('\n')[0] ?? '';
    const authorize = createAuthorizeRequestHandler({
      authenticate: createAuthenticator(memoryStore(records), { cacheTtlMs: 0 }),
      logger: createLogger({ level: 'silent' }),
    });
    const event = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/i1/downloadable_image',
      headers: { Authorization: `Token ${key}` },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    const result = await authorize(event, lambdaContext());
    expect(result).toMatchObject({ principalId: 'shop-b', usageIdentifierKey: records[1]?.usageKey });
    expect(records[1]?.usageKey).toBe(`usage-value-${keyCount}`);
  });
});
