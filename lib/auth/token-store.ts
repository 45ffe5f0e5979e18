/** An API key as stored: never the key itself, only its hash and what helps a person recognise it. */
export interface ApiKeyRecord {
  name: string;
  keyHash: string;
  /** The key's last 4 characters. */
  lastFour: string;
  createdAt: string;
}

export interface TokenStore {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** Fails with DuplicateKeyNameError when a key of that name exists. */
  create(record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Deletes every key of that name; answers how many were deleted. */
  revoke(name: string): Promise<number>;
}

export class DuplicateKeyNameError extends Error {
  constructor(name: string) {
    super(`an API key named "${name}" already exists`);
    this.name = 'DuplicateKeyNameError';
  }
}
