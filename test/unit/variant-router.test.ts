import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadVariantRouter, type ViewerRequest, variantRouterCode } from '../../infra/cdn/variant-router';
import {
  contentKeys,
  DEFAULT_VARIANT_WIDTHS,
  formatsFor,
  ladderFor,
  RENDITION_KINDS,
  type RenditionKind,
  rungFor,
} from '../../lib/domain/variant-ladder';

const route = loadVariantRouter();
const SHA = 'ab'.repeat(32);
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

function request(uri: string, query: Record<string, string> = {}, accept?: string): ViewerRequest {
  return {
    uri,
    querystring: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }])),
    headers: accept === undefined ? {} : { accept: { value: accept } },
  };
}

/** The `cdn_url` path of an original `width` pixels wide rendered with `widths`. */
function originalPath(
  width: number,
  kind: RenditionKind,
  widths: readonly number[] = DEFAULT_VARIANT_WIDTHS,
) {
  return `/${contentKeys.original(SHA, kind, kind === 'original' ? [] : ladderFor(width, widths))}`;
}

function routed(width: number, kind: RenditionKind, query: Record<string, string>, accept?: string) {
  return route(request(originalPath(width, kind), query, accept));
}

/** The width of the rung a routed URI names, or the original's width when it names the original. */
function servedWidth(uri: string, originalWidth: number): number {
  const rung = /^\/v\/[0-9a-f]{64}\/([0-9]+)\./.exec(uri);
  return rung ? Number(rung[1]) : originalWidth;
}

describe('the CDN variant router (the CloudFront Function)', () => {
  it('serves the original when no width is asked, and drops the query string from the cache key', () => {
    const answer = routed(4000, 'jpeg', { other: 'x' }, BROWSER_ACCEPT);
    expect(answer.uri).toBe(`/o/${SHA}/jpeg/160-352-832-1200-1920`);
    expect(answer.querystring).toEqual({});
  });

  it.each([
    [1, 160],
    [160, 160],
    [161, 352],
    [351, 352],
    [352, 352],
    [353, 832],
    [832, 832],
    [833, 1200],
    [1200, 1200],
    [1201, 1920],
    [1920, 1920],
    [1921, 1920],
    [99999, 1920],
  ])('width=%i on a 4000 px original picks the %i rung', (asked, rung) => {
    expect(routed(4000, 'jpeg', { width: String(asked) }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/${rung}.avif`);
  });

  it('never asks for a rung wider than the original, and a tiny original has one rung at its own width', () => {
    expect(routed(1000, 'jpeg', { width: '1200' }, 'image/webp').uri).toBe(`/v/${SHA}/1000.webp`);
    expect(routed(900, 'jpeg', { width: '1200' }, 'image/webp').uri).toBe(`/v/${SHA}/832.webp`);
    expect(routed(200, 'png', { width: '100' }, '').uri).toBe(`/v/${SHA}/160.png`);
    expect(routed(150, 'png', { width: '100' }, '').uri).toBe(`/v/${SHA}/150.png`);
    expect(routed(200, 'png', { width: '4000' }, '').uri).toBe(`/v/${SHA}/200.png`);
  });

  it.each([
    [400, 800],
    [600, 800],
    [800, 800],
    [801, 800],
    [352, 352],
    [200, 352],
    [100, 160],
  ])('an 800 px original has its own rung: width=%i picks %i', (asked, rung) => {
    expect(routed(800, 'jpeg', { width: String(asked) }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/${rung}.avif`);
  });

  it('a 1,600 px original asked for at 1,600 gets 1,600, not the 1,200 rung', () => {
    expect(routed(1600, 'jpeg', { width: '1600' }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/1600.avif`);
  });

  it.each([
    ['image/avif,image/webp,*/*', 'avif'],
    ['image/webp,image/avif', 'avif'],
    ['image/webp,*/*;q=0.8', 'webp'],
    ['image/avif;q=0,image/webp', 'webp'],
    ['image/avif;q=0.0,image/webp;q=0', 'jpeg'],
    ['IMAGE/AVIF', 'avif'],
    ['image/avif;q=0.1', 'avif'],
    ['*/*', 'jpeg'],
    ['image/*', 'jpeg'],
    ['', 'jpeg'],
  ])('Accept "%s" gets %s', (accept, format) => {
    expect(routed(4000, 'jpeg', { width: '400' }, accept).uri).toBe(`/v/${SHA}/832.${format}`);
  });

  it('with no Accept header serves the fallback; PNG for transparent originals', () => {
    expect(routed(4000, 'jpeg', { width: '400' }).uri).toBe(`/v/${SHA}/832.jpeg`);
    expect(routed(4000, 'png', { width: '400' }).uri).toBe(`/v/${SHA}/832.png`);
  });

  it('an animation gets WebP, never AVIF, and the original where WebP is not accepted', () => {
    expect(routed(500, 'animated', { width: '400' }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/500.webp`);
    expect(routed(500, 'animated', { width: '300' }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/352.webp`);
    expect(routed(500, 'animated', { width: '400' }, 'image/avif,*/*').uri).toBe(
      originalPath(500, 'animated'),
    );
  });

  it.each(['', '0', '-5', '1.5', '1e3', 'abc', '400px', ' 400', '0400', '9999999'])(
    'a malformed width "%s" serves the original',
    (width) => {
      const answer = routed(4000, 'jpeg', { width }, BROWSER_ACCEPT);
      expect(answer.uri).toBe(originalPath(4000, 'jpeg'));
      expect(answer.querystring).toEqual({});
    },
  );

  it('a repeated width takes its last value', () => {
    const answer = route({
      uri: originalPath(4000, 'jpeg'),
      querystring: { width: { value: '100', multiValue: [{ value: '100' }, { value: '1500' }] } },
      headers: { accept: { value: 'image/webp' } },
    });
    expect(answer.uri).toBe(`/v/${SHA}/1920.webp`);
  });

  it('passes other paths through untouched', () => {
    for (const uri of [
      '/products/A/1',
      `/v/${SHA}/352.avif`,
      `/o/${SHA}/0/jpeg`,
      `/o/${SHA.slice(1)}/10/jpeg`,
      `/o/${SHA}/jpeg/0-352`,
      `/o/${SHA}/jpeg/352-`,
      `/o/${SHA}/jpeg/99999`,
      `/o/${SHA}/gif/352`,
    ]) {
      expect(route(request(uri, { width: '400' }, BROWSER_ACCEPT)).uri).toBe(uri);
    }
  });

  it('an image the renderer could not decode is served its original at every width', () => {
    const answer = routed(640, 'original', { width: '400' }, BROWSER_ACCEPT);
    expect(answer.uri).toBe(`/o/${SHA}/original`);
    expect(answer.querystring).toEqual({});
  });

  it('routes URLs of contents rendered before rungs were in the key with the ladder of that time', () => {
    const legacy = `/${contentKeys.legacyOriginal(SHA, 1000, 'jpeg')}`;
    expect(route(request(legacy, { width: '900' }, BROWSER_ACCEPT)).uri).toBe(`/v/${SHA}/832.avif`);
    expect(route(request(legacy, { width: '300' }, 'image/webp')).uri).toBe(`/v/${SHA}/352.webp`);
    expect(route(request(legacy, {}, BROWSER_ACCEPT)).uri).toBe(legacy);
  });

  it('serves URLs of two ladders side by side: each names its own rungs, and every boundary of both exists', () => {
    const before = [352, 832, 1200, 1920];
    const after = [352, 640, 1024, 1600, 2400];
    for (const originalWidth of [300, 800, 1000, 1600, 3000]) {
      for (const widths of [before, after]) {
        const uri = originalPath(originalWidth, 'jpeg', widths);
        const rendered = ladderFor(originalWidth, widths);
        for (const boundary of [...before, ...after].flatMap((width) => [width - 1, width, width + 1])) {
          const answer = route(request(uri, { width: String(boundary) }, BROWSER_ACCEPT));
          expect(rendered.map((width) => `/v/${SHA}/${width}.avif`)).toContain(answer.uri);
          expect(answer.uri).toBe(`/v/${SHA}/${rungFor(rendered, boundary)}.avif`);
        }
      }
    }
  });

  it('for any ladder, original width W, asked width N and Accept: an existing rendition, at least 90 % of min(N, W, largest rung) and never wider than W', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 12000 }),
        fc.constantFrom(...RENDITION_KINDS),
        fc.integer({ min: 1, max: 99999 }),
        fc.subarray(['image/avif', 'image/webp', '*/*', 'image/png', 'image/avif;q=0']),
        (widths, originalWidth, kind, asked, accepted) => {
          const uri = originalPath(originalWidth, kind, widths);
          const answer = route(request(uri, { width: String(asked) }, accepted.join(',')));
          const ladder = kind === 'original' ? [] : ladderFor(originalWidth, widths);
          const rendered = new Set([
            uri,
            ...ladder.flatMap((width) =>
              formatsFor(kind).map((format) => `/${contentKeys.variant(SHA, width, format)}`),
            ),
          ]);
          expect(rendered.has(answer.uri)).toBe(true);
          const served = servedWidth(answer.uri, originalWidth);
          expect(served).toBeLessThanOrEqual(originalWidth);
          expect(served).toBeGreaterThanOrEqual(0.9 * Math.min(asked, originalWidth, Math.max(...widths)));
          if (answer.uri.startsWith('/v/')) expect(answer.uri).toContain(`/${rungFor(ladder, asked)}.`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('holds no deployment setting and stays within CloudFront Functions limits', () => {
    const code = variantRouterCode();
    expect(code).not.toMatch(/\bWIDTHS = \[/);
    expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
    expect(code).not.toMatch(/\b(import|require|fetch)\b/);
  });
});
