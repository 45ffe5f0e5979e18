import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_REGION } from '../../infra/local/dynamodb-local';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { documentClientFor, useTestApi } from '../helpers/local-api';
import { ROOT } from '../helpers/local-mode';

/** `npm run events -- resend` against a table in DynamoDB Local, found the way local mode is found. */
const t = useTestApi();

function resend(directory: string, args: string[]) {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/events-cli.ts'), ...args],
    { cwd: directory, encoding: 'utf8', env: { ...process.env, TABLE_NAME: '' }, timeout: 60_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function eventsIn(directory: string): Array<{ detail: { id: string; sku: string } }> {
  try {
    return readFileSync(join(directory, '.local', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

describe('npm run events -- resend', () => {
  it('re-publishes the current settled version with the id of its first delivery, and says what it skipped', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'events-resend-'));
    mkdirSync(join(directory, '.local'));
    writeFileSync(
      join(directory, '.local', 'runtime.json'),
      JSON.stringify({
        tableName: t.api.tableName,
        dynamodbEndpoint: t.api.dynamodbEndpoint,
        baseUrl: t.api.baseUrl,
        pid: process.pid,
        s3Endpoint: 'http://127.0.0.1:1',
        bucket: 'unused',
        cdnBaseUrl: 'https://cdn.example.test',
        variantWidths: [352],
        region: LOCAL_REGION,
      }),
    );
    const statuses = new DynamoImageStatusStore(documentClientFor(t.api), t.api.tableName);
    const since = new Date().toISOString();
    const posted = await t.http.post({
      product_sku: 'resent',
      images: [{ url: 'https://img.example.test/r.jpg' }],
    });
    await statuses.record('resent', posted.json.images[0].id, {
      status: 'failed',
      error: 'HTTP 404 from origin',
    });
    const version = String(posted.headers.get('etag')).replaceAll('"', '');
    expect(await statuses.markAnnounced('resent', version)).toBe(true);
    await t.http.post({ product_sku: 'unsettled', images: [{ url: 'https://img.example.test/u.jpg' }] });

    const first = resend(directory, ['resend', '--sku', 'resent']);
    expect(first.status, first.output).toBe(0);
    expect(first.output).toContain(`sent ProductImagesSettled resent/${version}`);
    const again = resend(directory, ['resend', '--since', since]);
    expect(again.status, again.output).toBe(0);
    expect(eventsIn(directory).map((event) => event.detail.id)).toEqual([
      `resent/${version}`,
      `resent/${version}`,
    ]);

    const skipped = resend(directory, ['resend', '--sku', 'unsettled', '--sku', 'nobody']);
    expect(skipped.status).toBe(1);
    expect(skipped.output).toContain('skipped unsettled: images still pending');
    expect(skipped.output).toContain('skipped nobody: no such SKU');

    const wrong = resend(directory, ['resend']);
    expect(wrong.status).toBe(2);
    expect(wrong.output).toContain('npm run events -- resend (--sku SKU ... | --since TIME)');
  });
});
