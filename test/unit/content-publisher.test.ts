import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS, RenderError } from '../../lib/rendering/rendition';
import { memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image, openedFrom } from '../helpers/stream-events';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('content-addressed publishing (in-memory ports, the real renderer)', () => {
  it('renders bytes shared by 10 SKUs in one batch once, and by a later batch not at all', async () => {
    const photo = await photoJpeg(400, 300);
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    const records = Array.from({ length: 10 }, (_, index) =>
      pipeline.statuses.write(`sku-${index}`, [image(index + 1)], index + 1),
    );
    expect((await pipeline.run(records)).failed).toEqual([]);
    expect(pipeline.renders()).toBe(1);
    const later = pipeline.statuses.write('sku-late', [image(99)], 50);
    await pipeline.run([later]);
    expect(pipeline.renders()).toBe(1);
    const hash = sha256(photo);
    for (const sku of [...records.map((record) => record.sku), 'sku-late']) {
      const [stored] = (await pipeline.statuses.find(sku))?.images ?? [];
      expect(stored).toMatchObject({
        status: 'ready',
        content_sha256: hash,
        object_key: `o/${hash}/jpeg/352-400/1x1f90-180-360/s64-128-192`,
      });
    }
    expect((await pipeline.contents.find(hash))?.references.sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99,
    ]);
    expect(pipeline.objects.keys()).toHaveLength(22);
  });

  it('an image that starts using content being deleted waits, then stores and renders it again', async () => {
    const photo = await photoJpeg(400, 300);
    const hash = sha256(photo);
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    // Another worker released the last reference and is deleting the objects right now.
    await pipeline.contents.acquire(hash, 500);
    await pipeline.contents.release(hash, 500);
    await pipeline.contents.beginDeletion(hash, Date.now());
    await pipeline.objects.put(`o/${hash}/jpeg/352-400`, Buffer.from('old'), 'image/jpeg');
    setTimeout(async () => {
      await pipeline.objects.deletePrefix(`o/${hash}/`);
      await pipeline.contents.finishDeletion(hash);
    }, 100);
    const record = pipeline.statuses.write('late', [image(1)], 1);
    expect((await pipeline.run([record])).failed).toEqual([]);
    expect(pipeline.renders()).toBe(1);
    expect(pipeline.objects.keys(`o/${hash}/`)).toEqual([
      `o/${hash}/jpeg/352-400/1x1f90-180-360/s64-128-192`,
    ]);
    expect(
      pipeline.objects.objects.get(`o/${hash}/jpeg/352-400/1x1f90-180-360/s64-128-192`)?.body.equals(photo),
    ).toBe(true);
    // Two rungs, two 1:1 tiles and three swatches, each in three formats.
    expect(pipeline.objects.keys(`v/${hash}/`)).toHaveLength(21);
  });

  it('finishes a deletion its worker left long ago, then renders', async () => {
    const photo = await photoJpeg(400, 300);
    const hash = sha256(photo);
    const pipeline = memoryPipeline(async () => openedFrom(photo), { timing: { staleDeletionMs: 1_000 } });
    await pipeline.contents.acquire(hash, 500);
    await pipeline.contents.release(hash, 500);
    await pipeline.contents.beginDeletion(hash, Date.now() - 60_000);
    await pipeline.objects.put(`v/${hash}/stale.avif`, Buffer.from('left'), 'image/avif');
    const record = pipeline.statuses.write('rescued', [image(1)], 1);
    expect((await pipeline.run([record])).failed).toEqual([]);
    expect(pipeline.objects.keys(`v/${hash}/`)).not.toContain(`v/${hash}/stale.avif`);
    expect((await pipeline.statuses.find('rescued'))?.images[0]?.status).toBe('ready');
  });

  it('takes over a render lease that ran out, and waits on a live one', async () => {
    const photo = await photoJpeg(400, 300);
    const hash = sha256(photo);
    const pipeline = memoryPipeline(async () => openedFrom(photo), { timing: { maxWaitMs: 200 } });
    await pipeline.contents.acquire(hash, 500);
    await pipeline.contents.claimRender(hash, Date.now(), 60_000);
    const waiting = pipeline.statuses.write('waiting', [image(1)], 1);
    // A live lease held elsewhere: this image gives up for now and is retried, its hash recorded.
    expect(await pipeline.run([waiting])).toEqual({ failed: [], retried: 1 });
    expect((await pipeline.statuses.find('waiting'))?.images[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      content_sha256: hash,
    });
    expect(pipeline.renders()).toBe(0);
    // The lease runs out (its worker died): the retry takes it over.
    const entry = pipeline.contents.entries.get(hash);
    if (entry) entry.leaseUntil = Date.now() - 1;
    const retried = { ...waiting, sequenceNumber: '2' };
    expect((await pipeline.run([retried])).failed).toEqual([]);
    expect(pipeline.renders()).toBe(1);
  });

  it('fails every image of bytes that cannot render, rendering them once', async () => {
    const bytes = await photoJpeg(400, 300);
    const pipeline = memoryPipeline(async () => openedFrom(bytes), {
      render: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new RenderError('image data corrupt');
      },
    });
    const records = [1, 2, 3].map((id) => pipeline.statuses.write(`bad-${id}`, [image(id)], id));
    expect((await pipeline.run(records)).failed).toEqual([]);
    expect(pipeline.renders()).toBe(1);
    for (const record of records) {
      expect((await pipeline.statuses.find(record.sku))?.images[0]).toMatchObject({
        status: 'failed',
        error: 'image data corrupt',
      });
    }
    expect(pipeline.objects.keys()).toEqual([]);
  });

  it('releases the reference of an image a POST removed while it was being published', async () => {
    const photo = await photoJpeg(400, 300);
    const hash = sha256(photo);
    let pipeline = memoryPipeline(async () => openedFrom(photo));
    pipeline = memoryPipeline(async () => openedFrom(photo), {
      render: async (bytes) => {
        // The merchant replaces the set while the image renders.
        pipeline.statuses.write('gone', [], 2);
        const { renderImage } = await import('../../lib/rendering/render-image');
        return renderImage(bytes, { widths: [352], avifEffort: 2, maxPixels: 1e8 });
      },
    });
    const record = pipeline.statuses.write('gone', [image(1)], 1);
    expect((await pipeline.run([record])).failed).toEqual([]);
    expect(await pipeline.contents.find(hash)).toBeNull();
    expect(pipeline.objects.keys()).toEqual([]);
  });

  it('lets go of the bytes an earlier attempt saw when the URL now serves others, even if this attempt fails', async () => {
    const before = await photoJpeg(400, 300);
    const after = await photoJpeg(500, 300);
    let calls = 0;
    const pipeline = memoryPipeline(async () => openedFrom(after), {
      render: async (bytes) => {
        calls++;
        if (calls === 1) throw new Error('worker ran out of memory');
        return renderImage(bytes, { widths: [352], avifEffort: 2, maxPixels: DEFAULT_MAX_PIXELS });
      },
    });
    // An earlier attempt hashed `before`, took its reference and stored its original, then failed.
    await pipeline.contents.acquire(sha256(before), 1);
    await pipeline.objects.put(`o/${sha256(before)}/jpeg/352-400`, before, 'image/jpeg');
    const record = pipeline.statuses.write(
      'changed',
      [image(1, { content_sha256: sha256(before), attempts: 1 })],
      1,
    );
    expect(await pipeline.run([record])).toEqual({ failed: [], retried: 1 });
    expect(await pipeline.contents.find(sha256(before))).toBeNull();
    expect(pipeline.objects.keys(`o/${sha256(before)}/`)).toEqual([]);
    expect((await pipeline.statuses.find('changed'))?.images[0]).toMatchObject({
      status: 'pending',
      content_sha256: sha256(after),
    });
    expect((await pipeline.run([{ ...record, sequenceNumber: '2' }])).failed).toEqual([]);
    expect((await pipeline.statuses.find('changed'))?.images[0]).toMatchObject({
      status: 'ready',
      content_sha256: sha256(after),
    });
  });

  it('holds no more images in memory at once than its in-flight bound', async () => {
    const photo = await photoJpeg(400, 300);
    let held = 0;
    let most = 0;
    const pipeline = memoryPipeline(
      async () => {
        held++;
        most = Math.max(most, held);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return openedFrom(photo);
      },
      { inFlight: 3 },
    );
    // An image is held from its download until it settles.
    const record = pipeline.statuses.record.bind(pipeline.statuses);
    pipeline.statuses.record = async (sku, imageId, progress) => {
      if (progress.status !== 'pending') held--;
      return record(sku, imageId, progress);
    };
    const records = Array.from({ length: 12 }, (_, index) =>
      pipeline.statuses.write(`bounded-${index}`, [image(index + 1), image(index + 101)], index + 1),
    );
    expect((await pipeline.run(records)).failed).toEqual([]);
    expect(held).toBe(0);
    expect(most).toBe(3);
  });
});
