import type { ApiKeyRecord, TokenStore } from '../../lib/auth/token-store';

/** A token store in memory, counting its reads. */
export function memoryStore(records: ApiKeyRecord[]): TokenStore & { reads: number } {
  const store = {
    reads: 0,
    findByHash: async (hash: string) => {
      store.reads++;
      return records.find((record) => record.keyHash === hash) ?? null;
    },
    create: async (record: ApiKeyRecord) => {
      records.push(record);
    },
    list: async () => records,
    revoke: async (name: string) => {
      const before = records.length;
      records.splice(0, records.length, ...records.filter((record) => record.name !== name));
      return before - records.length;
    },
    setUsage: async (name: string, usage: Pick<ApiKeyRecord, 'usagePlan' | 'usageKeyId' | 'usageKey'>) => {
      const named = records.filter((record) => record.name === name);
      for (const record of named) Object.assign(record, usage);
      return named.length;
    },
  };
  return store;
}
