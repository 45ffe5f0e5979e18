import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { usagePlanName } from './stages';

export interface UsagePlanKey {
  usagePlan: string;
  usageKeyId: string;
  usageKey: string;
}

/**
 * The merchant's side of API Gateway usage plans: one API Gateway API key per merchant key, on one plan
 * of the stage. Its value is what the authorizer returns as `usageIdentifierKey`; deleting it takes the
 * merchant off every plan.
 */
export class UsagePlans {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly stage: string,
  ) {}

  private async planId(plan: string): Promise<string> {
    const wanted = usagePlanName(this.stage, plan);
    let position: string | undefined;
    do {
      const page = await this.client.send(new GetUsagePlansCommand({ position, limit: 500 }));
      const found = page.items?.find((item) => item.name === wanted);
      if (found?.id) return found.id;
      position = page.position;
    } while (position);
    throw new Error(`no usage plan "${wanted}" in this account and region (plans are made by the stack)`);
  }

  /** A new API Gateway key for the merchant, on `plan`. */
  async assign(keyName: string, plan: string): Promise<UsagePlanKey> {
    const usagePlanId = await this.planId(plan);
    const created = await this.client.send(
      new CreateApiKeyCommand({
        name: `product-images-${this.stage}-${keyName}-${Date.now()}`,
        description: `usage-plan key of the API key "${keyName}" (not a credential: clients send their Token)`,
        enabled: true,
      }),
    );
    if (!created.id || !created.value) throw new Error('API Gateway made a key without an id or value');
    await this.client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId, keyId: created.id, keyType: 'API_KEY' }),
    );
    return { usagePlan: plan, usageKeyId: created.id, usageKey: created.value };
  }

  async remove(usageKeyId: string): Promise<void> {
    try {
      await this.client.send(new DeleteApiKeyCommand({ apiKey: usageKeyId }));
    } catch (error) {
      if ((error as Error).name !== 'NotFoundException') throw error;
    }
  }
}
