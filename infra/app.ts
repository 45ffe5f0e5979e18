import { App } from 'aws-cdk-lib';
import { createApp } from './app-factory';

const app = new App();
createApp(app);
app.synth();
