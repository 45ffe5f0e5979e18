import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contentKeys, formatsFor, ladderFor, type RenditionKind } from '../../lib/domain/variant-ladder';
import { DEFAULT_FETCH_POLICY, openImage } from '../../lib/pipeline/image-fetcher';
import { fixtureImages, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { MEMORY_PIPELINE_LADDER, memoryPipeline } from '../helpers/memory-pipeline';
import { image } from '../helpers/stream-events';

/**
 * Every real image in the shared fixtures (572 files from image libraries' test suites) through the
 * pipeline as deployed: the real fetcher from a local origin, the real sniffer, sharp; storage in memory.
 */
describe.skipIf(!hasFixtures)(`the pipeline on every fixture file (${fixturesMissing})`, () => {
  it('ends each image ready with decodable variants, or failed with a short reason; nothing crashes', async () => {
    const files = fixtureImages();
    const server = createServer((request, response) => {
      const file = files[Number(request.url?.slice(1))];
      if (!file) return response.writeHead(404).end();
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(file.bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const policy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true };
    const pipeline = memoryPipeline((url) => openImage(url, policy));
    try {
      for (let start = 0; start < files.length; start += 16) {
        const records = files.slice(start, start + 16).map((_, offset) => {
          const index = start + offset;
          return pipeline.statuses.write(
            `fixture-${index}`,
            [image(index + 1, { url: `${base}/${index}` })],
            index + 1,
          );
        });
        // No record is left to retry: every outcome is final (a crash would be retried as transient).
        expect((await pipeline.run(records)).failed).toEqual([]);
      }
    } finally {
      server.close();
    }

    const outcomes = { ready: 0, failed: 0 };
    for (const [index, file] of files.entries()) {
      const stored = (await pipeline.statuses.find(`fixture-${index}`))?.images[0];
      const isImage = file.answers.some((answer) => answer.format !== null);
      expect(stored?.status, file.name).not.toBe('pending');
      if (stored?.status === 'failed') {
        outcomes.failed++;
        expect(stored.error, file.name).toMatch(/^[a-zA-Z0-9 ().,-]{3,60}$/);
        continue;
      }
      outcomes.ready++;
      expect(isImage, `${file.name} is no image by its truth, yet it ended ready`).toBe(true);
      const hash = stored?.content_sha256 as string;
      const kind = stored?.object_key?.split('/')[2] as RenditionKind;
      expect(stored?.object_key).toBe(
        contentKeys.original(
          hash,
          kind,
          kind === 'original' ? [] : ladderFor(stored?.width ?? 0, MEMORY_PIPELINE_LADDER),
          { tiles: stored?.tiles, swatches: stored?.swatches },
        ),
      );
      // Stills get grid tiles and swatches, each object stored; animations get neither.
      if (kind === 'jpeg' || kind === 'png') {
        expect(stored?.tiles?.length, file.name).toBe(1);
        expect(stored?.swatches?.length, file.name).toBeGreaterThan(0);
        for (const width of stored?.tiles?.[0]?.widths ?? []) {
          expect(pipeline.objects.objects.has(contentKeys.tile(hash, '1x1f90', width, kind))).toBe(true);
        }
        for (const width of stored?.swatches ?? []) {
          expect(pipeline.objects.objects.has(contentKeys.swatch(hash, width, kind))).toBe(true);
        }
      } else expect(stored?.tiles).toBeUndefined();
      expect(pipeline.objects.objects.has(stored?.object_key ?? '')).toBe(true);
      const variants = stored?.variants ?? [];
      expect(new Set(variants.map((variant) => variant.format))).toEqual(new Set(formatsFor(kind)));
      for (const variant of variants) {
        const body = pipeline.objects.objects.get(
          contentKeys.variant(hash, variant.width, variant.format),
        )?.body;
        expect(body, `${file.name} ${variant.width}.${variant.format}`).toBeDefined();
        const metadata = await sharp(body, { animated: true }).metadata();
        expect(metadata.width, file.name).toBe(variant.width);
        expect(metadata.pageHeight ?? metadata.height, file.name).toBe(variant.height);
        expect(variant.width).toBeLessThanOrEqual(stored?.width ?? 0);
      }
    }
    // Most of the files the truth calls images render; the rest are damaged on purpose by their suites.
    expect(outcomes.ready).toBeGreaterThan(380);
    expect(outcomes.ready + outcomes.failed).toBe(files.length);
  }, 900_000);
});
