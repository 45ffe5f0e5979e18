import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/app-factory';
import type { ProductImagesStack } from '../../infra/stack';

/** The app as `cdk synth -c stage=…` builds it, in process, for assertions. */
export function synthesize(stage: 'dev' | 'prod', context: Record<string, string> = {}) {
  const app = new App({ context: { stage, ...context } });
  const stack: ProductImagesStack = createApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}
