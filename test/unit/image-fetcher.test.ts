import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowedAddress } from '../../lib/pipeline/address-policy';
import { ImageCopyError } from '../../lib/pipeline/fetch-errors';
import {
  DEFAULT_FETCH_POLICY,
  type FetchPolicy,
  type NetworkRules,
  openImage,
} from '../../lib/pipeline/image-fetcher';
import { png } from '../helpers/images';
import { type Origin, redirectTo, serve, startOrigin } from '../helpers/origin';

/**
 * Two real servers on loopback: `publicOrigin` on 127.0.0.2 stands in for a host on the internet (the
 * rules below treat that one address as public), `privateTarget` on 127.0.0.1 for what an attacker
 * wants to reach. Every refusal must leave `privateTarget` untouched.
 */
let publicOrigin: Origin;
let privateTarget: Origin;
const image = png(4, 3);

const STAND_IN_PUBLIC = '127.0.0.2';
const names: Record<string, string[]> = {
  'public.example': [STAND_IN_PUBLIC],
  'rebind.example': ['127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'mixed.example': [STAND_IN_PUBLIC, '10.0.0.1'],
  'ula.example': ['fd00:ec2::254'],
};

function rules(overrides: Partial<NetworkRules> = {}): NetworkRules {
  return {
    resolve: async (hostname) => {
      const addresses = names[hostname];
      if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
    isAllowed: (address) => address === STAND_IN_PUBLIC || isAllowedAddress(address, { allowPrivate: false }),
    ...overrides,
  };
}

const policy: FetchPolicy = { ...DEFAULT_FETCH_POLICY, totalTimeoutMs: 2_000, connectTimeoutMs: 1_000 };

async function read(url: string, fetchPolicy = policy, networkRules = rules()) {
  const opened = await openImage(url, fetchPolicy, networkRules);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body) chunks.push(chunk as Buffer);
  return { opened, body: Buffer.concat(chunks), summary: opened.summary() };
}

async function failure(url: string, fetchPolicy = policy, networkRules = rules()): Promise<ImageCopyError> {
  try {
    await read(url, fetchPolicy, networkRules);
  } catch (error) {
    expect(error).toBeInstanceOf(ImageCopyError);
    return error as ImageCopyError;
  }
  throw new Error(`expected ${url} to fail`);
}

beforeAll(async () => {
  publicOrigin = await startOrigin(STAND_IN_PUBLIC);
  privateTarget = await startOrigin('127.0.0.1');
  privateTarget.route('/secret', serve(image, 'image/png'));
  publicOrigin.route('/image', serve(image, 'application/octet-stream'));
});
afterAll(async () => {
  await publicOrigin.close();
  await privateTarget.close();
});

const publicUrl = (path: string) => `http://public.example:${publicOrigin.port}${path}`;

describe('SSRF: refused addresses never receive a request', () => {
  const port = () => privateTarget.port;
  it.each<[string, () => string]>([
    ['loopback', () => `http://127.0.0.1:${port()}/secret`],
    ['decimal IPv4', () => `http://2130706433:${port()}/secret`],
    ['hex IPv4', () => `http://0x7f.1:${port()}/secret`],
    ['octal IPv4', () => `http://0177.0.0.1:${port()}/secret`],
    ['IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${port()}/secret`],
    ['IPv6 loopback', () => `http://[::1]:${port()}/secret`],
    ['0.0.0.0', () => `http://0.0.0.0:${port()}/secret`],
    ['IPv6 unspecified', () => `http://[::]:${port()}/secret`],
    ['private 10/8', () => 'http://10.0.0.1/secret'],
    ['private 192.168/16', () => 'http://192.168.0.1/secret'],
    ['link-local metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['CGNAT', () => 'http://100.64.0.1/x'],
    ['multicast', () => 'http://224.0.0.1/x'],
    ['ULA metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['a public name resolving to loopback', () => `http://rebind.example:${port()}/secret`],
    ['a public name resolving to metadata', () => 'http://metadata.example/latest/'],
    ['a name with one private address among public ones', () => `http://mixed.example:${port()}/secret`],
    ['a name resolving to ULA', () => 'http://ula.example/'],
  ])('%s', async (_name, url) => {
    const error = await failure(url());
    expect(error).toMatchObject({ reason: 'address not allowed', permanent: true });
    expect(privateTarget.hits.get('/secret')).toBeUndefined();
  });

  it('a redirect from public to private', async () => {
    publicOrigin.route('/to-private', redirectTo(`http://127.0.0.1:${privateTarget.port}/secret`));
    publicOrigin.route('/to-private-name', redirectTo(`http://rebind.example:${privateTarget.port}/secret`));
    expect(await failure(publicUrl('/to-private'))).toMatchObject({ reason: 'address not allowed' });
    expect(await failure(publicUrl('/to-private-name'))).toMatchObject({ reason: 'address not allowed' });
    expect(privateTarget.hits.get('/secret')).toBeUndefined();
  });

  it.each([
    'file:///etc/passwd',
    'ftp://public.example/x.png',
    'gopher://public.example/',
    'data:image/png;base64,AAAA',
  ])('a redirect to %s', async (location) => {
    publicOrigin.route('/to-scheme', redirectTo(location));
    expect(await failure(publicUrl('/to-scheme'))).toMatchObject({
      permanent: true,
      reason: 'only http and https URLs are fetched',
    });
  });

  it('more than 3 redirects', async () => {
    for (let i = 0; i < 4; i++) publicOrigin.route(`/hop${i}`, redirectTo(`/hop${i + 1}`));
    publicOrigin.route('/hop4', serve(image));
    expect(await failure(publicUrl('/hop0'))).toMatchObject({
      reason: 'more than 3 redirects',
      permanent: true,
    });
    const three = await read(publicUrl('/hop1'));
    expect(three.body.equals(image)).toBe(true);
  });

  it('connects to the address it checked, even when the name later resolves elsewhere (no rebinding)', async () => {
    let lookups = 0;
    const rebinding = rules({
      resolve: async () => {
        lookups++;
        return [{ address: lookups === 1 ? STAND_IN_PUBLIC : '127.0.0.1', family: 4 }];
      },
    });
    publicOrigin.route('/secret', serve(image, 'image/png'));
    const result = await read(`http://rebinding.example:${publicOrigin.port}/secret`, policy, rebinding);
    expect(result.body.equals(image)).toBe(true);
    expect(lookups).toBe(1);
    expect(privateTarget.hits.get('/secret')).toBeUndefined();
  });

  it('refuses URLs with credentials', async () => {
    expect(await failure(`http://user:pw@public.example:${publicOrigin.port}/image`)).toMatchObject({
      permanent: true,
    });
  });
});

describe('fetching', () => {
  it('decides the type by magic number, streams exact bytes and reads the size', async () => {
    const result = await read(publicUrl('/image'));
    expect(result.opened.contentType).toBe('image/png');
    expect(result.body.equals(image)).toBe(true);
    expect(result.summary).toEqual({ bytes: image.length, dimensions: { width: 4, height: 3 } });
  });

  it('follows a redirect within the public internet', async () => {
    publicOrigin.route('/moved', redirectTo('/image', 301));
    expect((await read(publicUrl('/moved'))).body.equals(image)).toBe(true);
  });

  it('refuses HTML served as image/png', async () => {
    publicOrigin.route(
      '/fake.png',
      serve(Buffer.from('<html><body>not an image</body></html>'), 'image/png'),
    );
    expect(await failure(publicUrl('/fake.png'))).toMatchObject({ reason: 'not an image', permanent: true });
  });

  it('calls 4xx permanent and 5xx transient', async () => {
    publicOrigin.route('/gone', serve(Buffer.from('gone'), 'text/plain', 410));
    publicOrigin.route('/busy', serve(Buffer.from('busy'), 'text/plain', 503));
    expect(await failure(publicUrl('/missing'))).toMatchObject({
      reason: 'HTTP 404 from origin',
      permanent: true,
    });
    expect(await failure(publicUrl('/gone'))).toMatchObject({
      reason: 'HTTP 410 from origin',
      permanent: true,
    });
    expect(await failure(publicUrl('/busy'))).toMatchObject({
      reason: 'HTTP 503 from origin',
      permanent: false,
    });
  });

  it('refuses a declared length over the cap before reading, and a streamed body once it passes the cap', async () => {
    const small = { ...policy, maxBytes: 1024 };
    const big = Buffer.concat([image, Buffer.alloc(4096)]);
    publicOrigin.route('/big', serve(big, 'image/png'));
    publicOrigin.route('/big-chunked', (_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(big.subarray(0, 512));
      setTimeout(() => response.end(big.subarray(512)), 20);
    });
    expect(await failure(publicUrl('/big'), small)).toMatchObject({
      reason: 'image larger than 1024 bytes',
      permanent: true,
    });
    expect(await failure(publicUrl('/big-chunked'), small)).toMatchObject({
      reason: 'image larger than 1024 bytes',
      permanent: true,
    });
  });

  it('gives up on an origin that stalls, as a transient failure', async () => {
    publicOrigin.route('/stall-headers', () => undefined);
    publicOrigin.route('/stall-body', (_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(image.subarray(0, 40));
    });
    const quick = { ...policy, totalTimeoutMs: 300 };
    expect(await failure(publicUrl('/stall-headers'), quick)).toMatchObject({
      reason: 'origin timed out',
      permanent: false,
    });
    expect(await failure(publicUrl('/stall-body'), quick)).toMatchObject({
      reason: 'origin timed out',
      permanent: false,
    });
  });

  it('calls an unknown host permanent', async () => {
    expect(await failure('http://nowhere.example/x.png')).toMatchObject({
      reason: 'host not found',
      permanent: true,
    });
  });
});

describe('conditional GET', () => {
  it("sends an earlier answer's validators, and answers NotModified on 304 without a body", async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    publicOrigin.route('/validated.png', (request, response) => {
      seen.push(request.headers);
      if (request.headers['if-none-match'] === '"v1"') response.writeHead(304, { etag: '"v1"' }).end();
      else
        response
          .writeHead(200, {
            'content-type': 'image/png',
            etag: '"v1"',
            'last-modified': 'Wed, 02 Dec 2026 10:00:00 GMT',
          })
          .end(image);
    });
    const url = `http://public.example:${publicOrigin.port}/validated.png`;
    const first = await read(url);
    expect(first.opened.validators).toEqual({ etag: '"v1"', lastModified: 'Wed, 02 Dec 2026 10:00:00 GMT' });
    expect(seen[0]?.['if-none-match']).toBeUndefined();

    const again = await openImage(url, policy, rules(), first.opened.validators);
    expect(again).toEqual({ notModified: true });
    expect(seen[1]).toMatchObject({
      'if-none-match': '"v1"',
      'if-modified-since': 'Wed, 02 Dec 2026 10:00:00 GMT',
    });

    // Changed bytes: the origin answers 200 with a new validator.
    const changed = await openImage(url, policy, rules(), { etag: '"v0"' });
    expect('notModified' in changed).toBe(false);
    if (!('notModified' in changed)) changed.abort();
  });

  it('refuses a 304 nobody asked for', async () => {
    publicOrigin.route('/unasked.png', (_request, response) => response.writeHead(304).end());
    const error = await failure(`http://public.example:${publicOrigin.port}/unasked.png`);
    expect(error).toMatchObject({ reason: 'HTTP 304 from origin', permanent: true });
  });
});
