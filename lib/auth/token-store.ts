/** An API key as stored: never the key itself, only its hash and what helps a person recognise it. */
export interface ApiKeyRecord {
  name: string;
  keyHash: string;
  /** The key's last 4 characters. */
  lastFour: string;
  createdAt: string;
  /**
   * Deployed: the API Gateway usage plan the merchant is on, and the API Gateway API key that stands
   * for the merchant in it (its id, and its value, which the authorizer hands API Gateway as
   * `usageIdentifierKey`). That value identifies the merchant to the usage plan; it is not a credential.
   */
  usagePlan?: string;
  usageKeyId?: string;
  usageKey?: string;
}

export interface TokenStore {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** Fails with DuplicateKeyNameError when a key of that name exists. */
  create(record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Deletes every key of that name; answers how many were deleted. */
  revoke(name: string): Promise<number>;
  /** Puts every key of that name on a usage plan (deployed); answers how many there were. */
  setUsage(name: string, usage: Pick<ApiKeyRecord, 'usagePlan' | 'usageKeyId' | 'usageKey'>): Promise<number>;
}

export class DuplicateKeyNameError extends Error {
  constructor(name: string) {
    super(`an API key named "${name}" already exists`);
    this.name = 'DuplicateKeyNameError';
  }
}
