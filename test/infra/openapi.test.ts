import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_TYPES_FILE,
  OPENAPI_FILE,
  renderClientTypes,
  renderOpenApi,
} from '../../infra/openapi/render';
import { OpenApiValidator } from '../helpers/openapi-validator';

const run = promisify(execFile);
const bin = (name: string) => resolve('node_modules', '.bin', name);
const jsonHeaders = new Headers({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
});

describe('openapi.json', () => {
  it('is what the code generates: regenerating it changes nothing', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(await renderClientTypes());
  });

  it("passes Redocly's recommended rules with no problem left but those explained", async () => {
    const { stdout } = await run(bin('redocly'), ['lint', OPENAPI_FILE, '--format=json'], {
      maxBuffer: 10_000_000,
    });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number; ignored: number } };
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    const ignored = readFileSync('.redocly.lint-ignore.yaml', 'utf8');
    expect(report.totals.ignored).toBe(ignored.match(/^\s+- ["']#/gm)?.length);
  });

  it('documents both methods and HEAD on both spellings of the path, every error status and the Token scheme', () => {
    const document = JSON.parse(renderOpenApi());
    for (const path of ['/api/i1/downloadable_image/', '/api/i1/downloadable_image']) {
      const item = document.paths[path];
      const reads = ['200', '400', '401', '404', '429', '500', '503'];
      for (const method of ['get', 'head']) expect(Object.keys(item[method].responses).sort()).toEqual(reads);
      expect(Object.keys(item.post.responses).sort()).toEqual(
        ['200', '201', '400', '401', '409', '412', '413', '415', '429', '500', '503'].sort(),
      );
      expect(Object.keys(item.put.responses)).toEqual(['401', '405']);
    }
    expect(document.components.securitySchemes.Token).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
    });
  });
});

describe('the answer checks bite', () => {
  const validator = new OpenApiValidator();
  const path = '/api/i1/downloadable_image/';
  const image = {
    id: 1,
    url: 'https://e/a.png',
    order: 0,
    image_type: 'default',
    status: 'ready',
    cdn_url: 'https://cdn.example/products/a/1',
    error: null,
    width: 1,
    height: 1,
    bytes: 10,
    content_type: 'image/png',
    content_sha256: 'ab'.repeat(32),
    thumbhash: 'AAgKBwBkV3d/d4d4Z3ZYd4B3AAAAAAA=',
    dominant_color: '#a0b0c0',
    variants: [{ width: 1, height: 1, format: 'avif', url: 'https://cdn.example/v/ab/1.avif' }],
    tiles: [
      { aspect: '1:1', width: 1, height: 1, format: 'avif', url: 'https://cdn.example/v/ab/1x1f90/1.avif' },
    ],
  };
  const page = (images: unknown[]) =>
    JSON.stringify({ count: 1, next: null, previous: null, results: [{ product_sku: 'a', images }] });

  it('accepts a documented answer', () => {
    expect(validator.check('GET', path, 200, jsonHeaders, page([image]))).toEqual([]);
  });

  it('refuses an undocumented field, status, value or missing header', () => {
    expect(validator.check('GET', path, 200, jsonHeaders, page([{ ...image, sparkle: 'x' }])).join()).toMatch(
      /additional properties/,
    );
    expect(validator.check('GET', path, 418, jsonHeaders, page([]))).toEqual([
      `GET ${path} → 418: status not documented`,
    ]);
    expect(
      validator.check('GET', path, 200, jsonHeaders, page([{ ...image, status: 'done' }])).join(),
    ).toMatch(/allowed values/);
    expect(validator.check('GET', path, 401, jsonHeaders, '{"detail":"Invalid token."}')).toEqual([
      `GET ${path} → 401: header WWW-Authenticate missing`,
    ]);
    const cached = new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=60' });
    expect(validator.check('POST', path, 409, cached, '{"detail":"x"}').join()).toMatch(/Cache-Control/);
  });
});
