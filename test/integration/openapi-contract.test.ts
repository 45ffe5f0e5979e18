import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local';
import { useTestApi } from '../helpers/local-api';
import { ROOT } from '../helpers/local-mode';
import { loadDocument, OpenApiValidator } from '../helpers/openapi-validator';
import { arbitraryFor } from '../helpers/schema-arbitrary';
import { productImagesClient } from '../openapi/client';

const t = useTestApi();
const RESOURCE = '/api/i1/downloadable_image/';
const document = loadDocument();
const validator = new OpenApiValidator(document);

interface RunningPrism {
  url: string;
  output(): string;
  stop(): void;
}

/** `prism proxy <document> <local mode> --errors` on a free port, as a client would put it in front of the API. */
async function startPrism(documentFile: string): Promise<RunningPrism> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    resolve(ROOT, 'node_modules/.bin/prism'),
    ['proxy', documentFile, t.api.baseUrl, '--errors', '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/Prism is listening/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prism did not start:\n${output}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return { url: `http://127.0.0.1:${port}`, output: () => output, stop: () => child.kill('SIGTERM') };
}

let prism: RunningPrism;
let proxy: string;
const answers: Array<{ kind: string; status: number }> = [];

beforeAll(async () => {
  prism = await startPrism(resolve(ROOT, 'openapi.json'));
  proxy = prism.url;
}, 60_000);

afterAll(() => prism?.stop());

/** One request through Prism's validating proxy: any request or answer the document does not allow fails. */
async function viaPrism(
  kind: string,
  method: string,
  pathAndQuery: string,
  init: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
) {
  const key = init.key === undefined ? t.api.apiKey : init.key;
  const response = await fetch(`${proxy}${pathAndQuery}`, {
    method,
    headers: {
      ...(key === null ? {} : { Authorization: `Token ${key}` }),
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const violations = response.headers.get('sl-violations');
  expect(violations, `${kind}: ${violations}`).toBeNull();
  expect(response.headers.get('content-type') ?? '', `${kind}: Prism refused it: ${text}`).not.toMatch(
    /problem\+json/,
  );
  answers.push({ kind, status: response.status });
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

describe('every documented request kind through Stoplight Prism (prism proxy openapi.json … --errors)', () => {
  it('creates, replaces, restates, conditions, lists, pages, filters and deletes as documented', async () => {
    const body = {
      product_sku: 'contract-1',
      images: [{ url: 'https://e.example/a.png', order: 0, image_type: 'swatch' }],
    };
    expect((await viaPrism('POST create', 'POST', RESOURCE, { body })).status).toBe(201);
    const replaced = await viaPrism('POST replace', 'POST', RESOURCE, {
      body: { ...body, images: [...body.images, { url: 'https://e.example/b.png', order: '1' }] },
    });
    expect(replaced.status).toBe(200);
    const etag = replaced.headers.get('etag') ?? '';
    expect(
      (
        await viaPrism('POST restate', 'POST', RESOURCE, {
          body: replaced.json,
          headers: { 'If-Match': etag },
        })
      ).status,
    ).toBe(200);
    expect(
      (await viaPrism('POST stale If-Match', 'POST', RESOURCE, { body, headers: { 'If-Match': '"stale"' } }))
        .status,
    ).toBe(412);
    expect(
      (await viaPrism('POST If-None-Match *', 'POST', RESOURCE, { body, headers: { 'If-None-Match': '*' } }))
        .status,
    ).toBe(412);
    expect(
      (
        await viaPrism('POST integer SKU', 'POST', RESOURCE, {
          body: { product_sku: 1182701025, images: [{ url: 'https://e.example/c.png', order: null }] },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await viaPrism('POST without slash', 'POST', RESOURCE.slice(0, -1), {
          body: { product_sku: 'contract-2', images: [{ url: 'https://e.example/d.png' }] },
        })
      ).status,
    ).toBe(201);
    for (let i = 3; i < 8; i++)
      await viaPrism('POST more', 'POST', RESOURCE, {
        body: { product_sku: `contract-${i}`, images: [{ url: `https://e.example/${i}.png` }] },
      });

    const first = await viaPrism('GET list', 'GET', `${RESOURCE}?limit=2`);
    expect(first.status).toBe(200);
    const next = new URL(first.json.next);
    const second = await viaPrism('GET next link', 'GET', `${RESOURCE}${next.search}`);
    expect(second.status).toBe(200);
    expect(
      (await viaPrism('GET previous link', 'GET', `${RESOURCE}${new URL(second.json.previous).search}`))
        .status,
    ).toBe(200);
    expect((await viaPrism('GET page by number', 'GET', `${RESOURCE}?page=3&limit=2`)).status).toBe(200);
    expect((await viaPrism('GET without slash', 'GET', `${RESOURCE.slice(0, -1)}?limit=100`)).status).toBe(
      200,
    );
    const one = await viaPrism('GET product_sku', 'GET', `${RESOURCE}?product_sku=contract-1`);
    expect(one.headers.get('etag')).toBe(etag);
    expect(
      (await viaPrism('GET unknown product_sku', 'GET', `${RESOURCE}?product_sku=nothing`)).json.count,
    ).toBe(0);
    expect((await viaPrism('GET page past the end', 'GET', `${RESOURCE}?page=99`)).status).toBe(404);
    // Prism answers every proxied HEAD with a problem document (it checks the absent body against the
    // GET schema), so HEAD answers are checked against the document by the answer validator instead.
    expect((await t.http.call('HEAD', t.api.url)).status).toBe(200);
    expect((await t.http.call('HEAD', `${t.api.url}?product_sku=contract-1`)).headers.get('etag')).toBe(etag);
    // A request without the Token scheme breaks the document's security requirement, so Prism refuses it
    // itself; the answer the service gives it is checked by the answer validator.
    const anonymous = await fetch(t.api.url);
    expect(anonymous.status).toBe(401);
    expect(validator.check('GET', RESOURCE, 401, anonymous.headers, await anonymous.text())).toEqual([]);
    expect((await viaPrism('GET unknown key', 'GET', RESOURCE, { key: '0'.repeat(40) })).status).toBe(401);
    for (const method of ['PUT', 'PATCH', 'DELETE'])
      expect((await viaPrism(`${method}`, method, RESOURCE)).status).toBe(405);
    expect(
      (
        await viaPrism('POST delete all', 'POST', RESOURCE, {
          body: { product_sku: 'contract-1', images: [] },
        })
      ).status,
    ).toBe(200);
    expect(answers).toHaveLength(25);
  });
});

describe('the Prism check bites', () => {
  it('fails an answer with a field the document does not describe', async () => {
    // The same document, but without `error` on images: every real answer now carries an undocumented field.
    const tampered = structuredClone(document) as {
      components: { schemas: { Image: { properties: Record<string, unknown>; required: string[] } } };
    };
    delete tampered.components.schemas.Image.properties.error;
    tampered.components.schemas.Image.required = tampered.components.schemas.Image.required.filter(
      (name) => name !== 'error',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'tampered-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(tampered));
    const strict = await startPrism(file);
    try {
      const response = await fetch(`${strict.url}${RESOURCE}`, {
        method: 'POST',
        headers: { Authorization: `Token ${t.api.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ product_sku: 'tampered', images: [{ url: 'https://e.example/t.png' }] }),
      });
      const refused =
        response.headers.get('sl-violations') !== null ||
        /problem\+json/.test(response.headers.get('content-type') ?? '');
      expect(refused, `status ${response.status}: ${await response.text()}`).toBe(true);
    } finally {
      strict.stop();
    }
  });
});

describe('requests generated from the document', () => {
  const schema = (document.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
  const validBody = arbitraryFor(schema.ImageSetRequest ?? {}, document);

  it('valid bodies get 200 or 201 and documented answers; broken ones a DRF 400; never a 5xx', async () => {
    const broken = fc.oneof(
      validBody.map((body) => ({ ...(body as object), product_sku: undefined })),
      validBody.map((body) => ({ ...(body as object), images: 'not a list' })),
      validBody.map((body) => ({ ...(body as object), product_sku: true })),
      validBody.map((body) => ({ ...(body as object), images: [{ url: 'ftp://e.example/x', order: 1.5 }] })),
      validBody.map((body) => ({
        ...(body as object),
        images: [{ url: 'https://e.example/x', image_type: 'hero' }],
      })),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          validBody.map((body) => ({ body, valid: true })),
          broken.map((body) => ({ body, valid: false })),
        ),
        async ({ body, valid }) => {
          tried++;
          const response = await t.http.post(body);
          expect(response.status).toBeLessThan(500);
          if (valid) expect([200, 201], JSON.stringify(response.json)).toContain(response.status);
          else expect(response.status).toBe(400);
          expect(validator.check('POST', RESOURCE, response.status, response.headers, response.text)).toEqual(
            [],
          );
        },
      ),
      { numRuns: 60 },
    );
    expect(tried).toBe(60);
  });
});

describe('the worked client example (openapi-typescript + openapi-fetch)', () => {
  it('posts and reads a product through the generated types', async () => {
    const client = productImagesClient(t.api.baseUrl, t.api.apiKey);
    const posted = await client.POST('/api/i1/downloadable_image/', {
      body: {
        product_sku: 'typed-client',
        images: [{ url: 'https://e.example/typed.png', image_type: 'default' }],
      },
    });
    expect(posted.response.status).toBe(201);
    expect(posted.data?.images[0]?.status).toBe('pending');
    const read = await client.GET('/api/i1/downloadable_image/', {
      params: { query: { product_sku: 'typed-client' } },
    });
    expect(read.data?.results.map((product) => product.product_sku)).toEqual(['typed-client']);
  });
});
