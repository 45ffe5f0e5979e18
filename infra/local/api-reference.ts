import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { renderOpenApi } from '../openapi/render';
import type { LocalFile } from './http-server';

const run = promisify(execFile);

/** Redocly's reference page of the document, built once, on first request, with its scripts inline (offline). */
async function buildReferencePage(document: string): Promise<Buffer> {
  const folder = mkdtempSync(join(tmpdir(), 'product-images-docs-'));
  const source = join(folder, 'openapi.json');
  const output = join(folder, 'docs.html');
  writeFileSync(source, document);
  const cli = join(
    dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
    'bin/cli.js',
  );
  await run(process.execPath, [cli, 'build-docs', source, '--inlineBundle', '-o', output], {
    timeout: 60_000,
  });
  return readFileSync(output);
}

/** Local mode's `/openapi.json` (the document the tests hold the code to) and `/docs` (its rendered reference). */
export function apiReferenceFiles(): Map<string, LocalFile> {
  const document = renderOpenApi();
  let page: Promise<Buffer> | undefined;
  return new Map<string, LocalFile>([
    ['/openapi.json', { contentType: 'application/json; charset=utf-8', bytes: Buffer.from(document) }],
    [
      '/docs',
      {
        contentType: 'text/html; charset=utf-8',
        bytes: () => {
          page ??= buildReferencePage(document);
          return page;
        },
      },
    ],
  ]);
}
