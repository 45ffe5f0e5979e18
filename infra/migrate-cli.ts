import { migrateToShardedLayout } from '../lib/adapters/dynamodb/layout-migration';
import { openTable } from './table-target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm run migrate`: moves a table written before shards existed to the sharded layout, while it serves. */
try {
  const { client, tableName } = openTable();
  process.stderr.write(`migrating ${tableName} to the sharded product layout\n`);
  const report = await migrateToShardedLayout(client, tableName, {
    onProgress: ({ moved, skipped }) => process.stderr.write(`  moved ${moved}, skipped ${skipped}\r`),
  });
  process.stdout.write(
    `\nmoved ${report.moved} product(s); ${report.skipped} entr${report.skipped === 1 ? 'y was' : 'ies were'} already moved or deleted.\n`,
  );
  if (report.leftInLegacyLayout === 0) {
    process.stdout.write('the table is fully in the sharded layout; running this again changes nothing.\n');
  } else {
    process.stdout.write(
      `${report.leftInLegacyLayout} product(s) are still counted in the unsharded layout (the list index may lag a moment): run it again.\n`,
    );
    process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
