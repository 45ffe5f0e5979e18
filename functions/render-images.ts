import { loadPipelineConfig, requireRenderQueue } from '../lib/config';
import { createRendererDependencies } from '../lib/renderer-service';
import { createRenderImagesHandler } from './job-handlers';

/** The renderer: one job per image, from the image jobs' queue (lib/pipeline/render-jobs.ts). */
export const handler = createRenderImagesHandler(
  createRendererDependencies(requireRenderQueue(loadPipelineConfig())),
);
