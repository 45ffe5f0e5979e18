import { App } from 'aws-cdk-lib';
import { createStacks } from './app-factory';

const app = new App();
createStacks(app);
app.synth();
