import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, productPartition, productShard } from '../../lib/adapters/dynamodb/table-schema';

/**
 * Products written straight into the table (25 to a BatchWriteItem, the counters once at the end), in the
 * sharded layout or as a table written before shards existed: much faster than POSTs for large catalogues.
 */
export async function seedProducts(
  client: DynamoDBDocumentClient,
  tableName: string,
  skus: readonly string[],
  layout: 'sharded' | 'legacy' = 'sharded',
): Promise<void> {
  const counts = new Map<number | null, number>();
  const batches: Array<Array<{ PutRequest: { Item: Record<string, unknown> } }>> = [];
  for (let at = 0; at < skus.length; at += 25) {
    batches.push(
      skus.slice(at, at + 25).map((sku) => {
        const shard = layout === 'legacy' ? null : productShard(sku);
        counts.set(shard, (counts.get(shard) ?? 0) + 1);
        const image = {
          id: 1,
          url: `https://u/${encodeURIComponent(sku)}.png`,
          order: 0,
          image_type: 'default',
          status: 'pending',
        };
        const item = {
          ...keys.sku(sku),
          sku,
          version: 'seeded',
          revision: 1,
          writer: 'api',
          images: [image],
        };
        return { PutRequest: { Item: { ...item, listPk: productPartition(shard), listSk: sku } } };
      }),
    );
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending: unknown[] = batches[next++] ?? [];
      while (pending.length > 0) {
        const result = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }),
        );
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const [shard, count] of counts) {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.productCounter(shard),
        UpdateExpression: 'ADD #value :n',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':n': count },
      }),
    );
  }
}
