import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTableWalk } from './adapters/dynamodb/table-walk';
import type { PipelineConfig } from './config';
import { slotSignature } from './domain/storefront-slots';
import type { RenderingDependencies } from './pipeline/render-jobs';
import { createPipelineDependencies, documentClientFor, type PipelineClients } from './pipeline-service';
import { type RenderOptions, renderImage } from './rendering/render-image';
import { DEFAULT_MAX_PIXELS } from './rendering/rendition';
import type { RerenderDependencies } from './rerender/rerender';

/*
 * The wiring of what renders: the renderer function and `npm run rerender`. Apart from
 * pipeline-service.ts because it loads sharp, which only the renderer's bundle ships.
 */

/** The configured ladder. */
function ladderOptions(config: PipelineConfig): RenderOptions {
  return {
    widths: config.variantWidths,
    tiles: config.tiles,
    swatchWidths: config.swatchWidths,
    avifEffort: config.avifEffort,
    maxPixels: DEFAULT_MAX_PIXELS,
  };
}

/** The renderer function's dependencies: the pipeline's, and the configured ladder's renderer. */
export function createRendererDependencies(
  config: PipelineConfig,
  clients: PipelineClients = {},
): RenderingDependencies {
  return {
    ...createPipelineDependencies(config, clients),
    render: (bytes) => renderImage(bytes, ladderOptions(config)),
  };
}

/** What `npm run rerender` works with: the pipeline's stores and limits, and a renderer of given rungs. */
export function createRerenderDependencies(
  config: PipelineConfig,
  clients: { dynamo?: DynamoDBDocumentClient; s3?: S3Client } = {},
): { deps: RerenderDependencies; walk: DynamoTableWalk } {
  const dynamo = clients.dynamo ?? documentClientFor(config);
  return {
    deps: {
      ...createRendererDependencies(config, { ...clients, dynamo }),
      widths: config.variantWidths,
      slots: slotSignature(config.tiles, config.swatchWidths),
      renderRungs: (bytes, rungs, slots) => renderImage(bytes, { ...ladderOptions(config), rungs, slots }),
    },
    walk: new DynamoTableWalk(dynamo, config.tableName),
  };
}
