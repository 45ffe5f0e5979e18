/**
 * The one definition of the table, read by the CDK stack and by local mode alike.
 *
 * Items (all in one table, partition key `pk`, no sort key):
 * - `SKU#<sku>`: one product's whole image set (`sku`, `version`, `revision`, `writer`, `images`, `updatedAt`), and the
 *   list-index keys `listPk = PRODUCTS`, `listSk = <sku>`.
 * - `APIKEY#<sha256 of the key>`: one API key (`name`, `keyHash`, `lastFour`, `createdAt`), and the
 *   list-index keys `listPk = APIKEYS`, `listSk = <name>`.
 * - `COUNTER#image-id`: `value`, the highest image id leased so far.
 * - `COUNTER#products`: `value`, the number of SKU items.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  listIndex: {
    name: 'list',
    partitionKey: 'listPk',
    sortKey: 'listSk',
    /** Keys only: pages are found through it, their items read from the table. */
    projection: 'KEYS_ONLY',
  },
  stream: 'NEW_AND_OLD_IMAGES',
} as const;

/**
 * The `writer` attribute of a SKU item: the stream's event filter starts pipeline work only for items the
 * API wrote (or removed), so the pipeline's own status writes never feed back into it.
 */
export const WRITERS = { api: 'api', pipeline: 'pipeline' } as const;

/**
 * The stream records that start pipeline work, as Lambda event-filter patterns (any one may match): a
 * removed item, or an item the API wrote. The deployed event source mapping and the local poller both
 * apply exactly these.
 */
export const PIPELINE_EVENT_PATTERNS = [
  { eventName: ['REMOVE'] },
  { dynamodb: { NewImage: { writer: { S: [WRITERS.api] } } } },
] as const;

export const LIST_PARTITION = { products: 'PRODUCTS', apiKeys: 'APIKEYS' } as const;

const SKU_PREFIX = 'SKU#';
const API_KEY_PREFIX = 'APIKEY#';

export const keys = {
  sku: (sku: string) => ({ pk: `${SKU_PREFIX}${sku}` }),
  apiKey: (keyHash: string) => ({ pk: `${API_KEY_PREFIX}${keyHash}` }),
  imageIdCounter: { pk: 'COUNTER#image-id' },
  productCounter: { pk: 'COUNTER#products' },
} as const;

/** The SKU a partition key names, or null when the item is not a SKU item. */
export function skuOfKey(pk: string): string | null {
  return pk.startsWith(SKU_PREFIX) ? pk.slice(SKU_PREFIX.length) : null;
}

/** The key hash an API key item's partition key holds. */
export function keyHashOfKey(pk: string): string {
  return pk.slice(API_KEY_PREFIX.length);
}
