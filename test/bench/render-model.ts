import { RENDERER } from '../../infra/constructs/image-pipeline';
import { STAGES } from '../../infra/stages';

/** Lambda list prices (x86_64, first tier) and SQS's, in USD. */
const GB_SECOND = 0.0000166667;
const REQUEST = 0.2 / 1e6;
/** One send (batched by ten), one receive and one delete (each batched by two) per image. */
const SQS_PER_IMAGE = (0.1 + 0.5 + 0.5) * (0.4 / 1e6);

export interface DeployedRenderModel {
  vcpu: number;
  /** Seconds one renderer invocation spends on an image. */
  lambdaSeconds: number;
  perImageUsd: number;
  prodConcurrency: number;
  /** Minutes for `images` at prod's renderer concurrency. */
  minutesFor(images: number): number;
  /** Renderers needed at once to render `images` within `minutes`. */
  renderersFor(images: number, minutes: number): number;
}

/**
 * The deployed model of rendering, from CPU measured here. Lambda gives the renderer's 2,048 MB about
 * 1.17 vCPU (1,769 MB is one); it renders one image at a time, so an image takes its CPU time spread over
 * what parallelism libvips found here, capped at that share.
 */
export function deployedRenderModel(cpuMs: number, wallMs: number): DeployedRenderModel {
  const parallelism = cpuMs / wallMs;
  const vcpu = RENDERER.memoryMb / 1769;
  const lambdaSeconds = cpuMs / 1000 / Math.min(parallelism, vcpu);
  const perImageUsd =
    lambdaSeconds * (RENDERER.memoryMb / 1024) * GB_SECOND + REQUEST / RENDERER.batchSize + SQS_PER_IMAGE;
  const prodConcurrency = STAGES.prod.renderConcurrency;
  return {
    vcpu,
    lambdaSeconds,
    perImageUsd,
    prodConcurrency,
    minutesFor: (images) => (images * lambdaSeconds) / prodConcurrency / 60,
    renderersFor: (images, minutes) => Math.ceil((images * lambdaSeconds) / (minutes * 60)),
  };
}
