import { createHash } from 'node:crypto';

/**
 * The one definition of the table, read by the CDK stack and by local mode alike.
 *
 * Items (all in one table, partition key `pk`, no sort key):
 * - `SKU#<sku>`: one product's whole image set (`sku`, `version`, `revision`, `writer`, `images`, `updatedAt`), and the
 *   list-index keys `listPk = PRODUCTS#<shard>`, `listSk = <sku>`, the shard being `productShard(sku)`.
 *   A table written before shards existed holds `listPk = PRODUCTS` until `npm run migrate` moves it.
 *   While some image of the set is pending, also the pending-index keys `pendingPk = PENDING#<shard>`,
 *   `pendingSince` (when the set was written or last swept) and `sweeps` (how often the sweeper
 *   re-enqueued it); they go when the set settles.
 * - `APIKEY#<sha256 of the key>`: one API key (`name`, `keyHash`, `lastFour`, `createdAt`), and the
 *   list-index keys `listPk = APIKEYS`, `listSk = <name>`.
 * - `COUNTER#image-id`: `value`, the highest image id leased so far.
 * - `CONTENT#<sha256>`: one distinct original (`refs`, the number set of image ids using it; `facts`, what
 *   rendering made; `renderError`; `leaseUntil`, the render lease; `deletingSince`, set once unreferenced).
 * - `URL#<sha256 of the URL>`: an image URL fetched before (`url`; `sha256`, the content it served;
 *   `etag` and `lastModified`, its validators; `fetchLeaseUntil` and `fetchLeaseHolder`, the image, while its first download runs).
 * - `COUNTER#products#<shard>`: `value`, the number of SKU items in that shard; `COUNTER#products` counts
 *   those still in the unsharded layout.
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
  /**
   * Sparse: only SKU items with a pending image carry its keys, so the sweeper reads exactly those,
   * oldest first, never scanning the table. Sharded like the list index: a POST sets the keys and the
   * settlement removes them, two index writes per SKU of an import.
   */
  pendingIndex: {
    name: 'pending',
    partitionKey: 'pendingPk',
    sortKey: 'pendingSince',
    projection: 'INCLUDE',
    nonKeyAttributes: ['version', 'sweeps'],
  },
  stream: 'NEW_AND_OLD_IMAGES',
} as const;

const SKU_KEY_PREFIX = 'SKU#';

/**
 * The `writer` attribute of a SKU item: the stream's event filter starts pipeline work only for items the
 * API wrote (or removed), so the pipeline's own status writes never feed back into it.
 */
export const WRITERS = {
  api: 'api',
  pipeline: 'pipeline',
  migration: 'migration',
  /** The write that marks a settled version announced: its stream record is the event's outbox. */
  announcer: 'announcer',
} as const;

/**
 * The stream records that start pipeline work, as Lambda event-filter patterns (any one may match): a
 * removed SKU item, or an item the API wrote. The deployed event source mapping and the local poller both
 * apply exactly these.
 */
export const PIPELINE_EVENT_PATTERNS = [
  // A removed SKU item; a content item's deletion (the pipeline's own) starts nothing.
  { eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: SKU_KEY_PREFIX }] } } } },
  { dynamodb: { NewImage: { writer: { S: [WRITERS.api] } } } },
  // The mark of a settled version: the stream consumer publishes its ProductImagesSettled event.
  { dynamodb: { NewImage: { writer: { S: [WRITERS.announcer] } } } },
] as const;

export const LIST_PARTITION = { products: 'PRODUCTS', apiKeys: 'APIKEYS' } as const;

/**
 * Product creations and deletions are spread over this many counter items and list-index partitions, so
 * none of them is hot: each takes 500 transactional creations per second (2 write units each against a
 * partition's 1,000), so 32 take 16,000/s, leaving room above the 10,000/s target for uneven hashing.
 */
export const PRODUCT_SHARDS = 32;

/** A SKU's shard: the first 4 bytes of its SHA-256, modulo the shard count; the same for every write. */
export function productShard(sku: string): number {
  return createHash('sha256').update(sku, 'utf8').digest().readUInt32BE(0) % PRODUCT_SHARDS;
}

/** The list-index partition of a shard, and of the unsharded layout (`null`) a table may still hold. */
export function productPartition(shard: number | null): string {
  return shard === null
    ? LIST_PARTITION.products
    : `${LIST_PARTITION.products}#${String(shard).padStart(2, '0')}`;
}

/** The pending-index partition of a SKU's shard. */
export function pendingPartition(shard: number): string {
  return `PENDING#${String(shard).padStart(2, '0')}`;
}

/** The pending-index partition of a content being deleted: one per first hex digit of its hash. */
export function deletionPartition(sha256: string): string {
  return `DELETING#${sha256.slice(0, 1)}`;
}

/** Every partition of contents being deleted, each read by the sweeper. */
export const DELETION_PARTITIONS: readonly string[] = [...'0123456789abcdef'].map((digit) =>
  deletionPartition(digit),
);

/** Every pending-index partition, each read by the sweeper. */
export const PENDING_PARTITIONS: readonly string[] = Array.from({ length: PRODUCT_SHARDS }, (_, shard) =>
  pendingPartition(shard),
);

/** Every partition a listing reads: the shards, and the unsharded one until a migration has emptied it. */
export const PRODUCT_PARTITIONS: readonly (number | null)[] = [
  null,
  ...Array.from({ length: PRODUCT_SHARDS }, (_, shard) => shard),
];

const SKU_PREFIX = SKU_KEY_PREFIX;
const CONTENT_PREFIX = 'CONTENT#';

/** How the keys of SKU and content items begin (for an operator's filtered Scan). */
export const ITEM_PREFIXES = { sku: SKU_PREFIX, content: CONTENT_PREFIX } as const;
const API_KEY_PREFIX = 'APIKEY#';

export const keys = {
  sku: (sku: string) => ({ pk: `${SKU_PREFIX}${sku}` }),
  apiKey: (keyHash: string) => ({ pk: `${API_KEY_PREFIX}${keyHash}` }),
  imageIdCounter: { pk: 'COUNTER#image-id' },
  content: (sha256: string) => ({ pk: `${CONTENT_PREFIX}${sha256}` }),
  /** An image URL the pipeline fetched, by the SHA-256 of the URL. */
  knownUrl: (urlSha256: string) => ({ pk: `URL#${urlSha256}` }),
  /** The product counter of a shard, or (`null`) of the unsharded layout. */
  productCounter: (shard: number | null) => ({
    pk: shard === null ? 'COUNTER#products' : `COUNTER#products#${String(shard).padStart(2, '0')}`,
  }),
} as const;

/** The hash of a content item's key; null for any other key. */
export function contentOfKey(pk: string): string | null {
  return pk.startsWith(CONTENT_PREFIX) ? pk.slice(CONTENT_PREFIX.length) : null;
}

/** The SKU a partition key names, or null when the item is not a SKU item. */
export function skuOfKey(pk: string): string | null {
  return pk.startsWith(SKU_PREFIX) ? pk.slice(SKU_PREFIX.length) : null;
}

/** The key hash an API key item's partition key holds. */
export function keyHashOfKey(pk: string): string {
  return pk.slice(API_KEY_PREFIX.length);
}
