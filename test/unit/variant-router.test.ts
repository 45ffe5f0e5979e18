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

const route = loadVariantRouter(DEFAULT_VARIANT_WIDTHS);
const SHA = 'ab'.repeat(32);
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

function request(uri: string, query: Record<string, string> = {}, accept?: string): ViewerRequest {
  return {
    uri,
    querystring: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }])),
    headers: accept === undefined ? {} : { accept: { value: accept } },
  };
}

function routed(width: number, kind: RenditionKind, query: Record<string, string>, accept?: string) {
  return route(request(`/${contentKeys.original(SHA, width, kind)}`, query, accept));
}

describe('the CDN variant router (the CloudFront Function)', () => {
  it('serves the original when no width is asked, and drops the query string from the cache key', () => {
    const answer = routed(4000, 'jpeg', { other: 'x' }, BROWSER_ACCEPT);
    expect(answer.uri).toBe(`/o/${SHA}/4000/jpeg`);
    expect(answer.querystring).toEqual({});
  });

  it.each([
    [1, 352],
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
    expect(routed(1000, 'jpeg', { width: '1200' }, 'image/webp').uri).toBe(`/v/${SHA}/832.webp`);
    expect(routed(200, 'png', { width: '100' }, '').uri).toBe(`/v/${SHA}/200.png`);
    expect(routed(200, 'png', { width: '4000' }, '').uri).toBe(`/v/${SHA}/200.png`);
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
    expect(routed(500, 'animated', { width: '400' }, BROWSER_ACCEPT).uri).toBe(`/v/${SHA}/352.webp`);
    expect(routed(500, 'animated', { width: '400' }, 'image/avif,*/*').uri).toBe(`/o/${SHA}/500/animated`);
  });

  it.each(['', '0', '-5', '1.5', '1e3', 'abc', '400px', ' 400', '0400', '9999999'])(
    'a malformed width "%s" serves the original',
    (width) => {
      const answer = routed(4000, 'jpeg', { width }, BROWSER_ACCEPT);
      expect(answer.uri).toBe(`/o/${SHA}/4000/jpeg`);
      expect(answer.querystring).toEqual({});
    },
  );

  it('a repeated width takes its last value', () => {
    const answer = route({
      uri: `/o/${SHA}/4000/jpeg`,
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
    ]) {
      expect(route(request(uri, { width: '400' }, BROWSER_ACCEPT)).uri).toBe(uri);
    }
  });

  it('always names an object the pipeline renders for that original (never a 404), for any ladder', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 8000 }),
        fc.constantFrom(...RENDITION_KINDS),
        fc.integer({ min: 1, max: 20000 }),
        fc.subarray(['image/avif', 'image/webp', '*/*', 'image/png']),
        (widths, originalWidth, kind, asked, accepted) => {
          const router = loadVariantRouter(widths);
          const answer = router(
            request(
              `/${contentKeys.original(SHA, originalWidth, kind)}`,
              { width: String(asked) },
              accepted.join(','),
            ),
          );
          const ladder = ladderFor(originalWidth, widths);
          const rendered = new Set([
            `/${contentKeys.original(SHA, originalWidth, kind)}`,
            ...ladder.flatMap((width) =>
              formatsFor(kind).map((format) => `/${contentKeys.variant(SHA, width, format)}`),
            ),
          ]);
          expect(rendered.has(answer.uri)).toBe(true);
          if (answer.uri.startsWith('/v/')) expect(answer.uri).toContain(`/${rungFor(ladder, asked)}.`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deployed with the configured widths and stays within CloudFront Functions limits', () => {
    const code = variantRouterCode([100, 200]);
    expect(code).toContain('var WIDTHS = [100, 200];');
    expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
    expect(code).not.toMatch(/\b(import|require|fetch)\b/);
  });
});
