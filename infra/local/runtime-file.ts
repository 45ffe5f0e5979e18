import { resolve } from 'node:path';

/** Where a running `npm start` says how to reach its engine, so `npm run token` can find the local store. */
export const RUNTIME_FILE = resolve('.local', 'runtime.json');

export interface LocalRuntime {
  tableName: string;
  dynamodbEndpoint: string;
  baseUrl: string;
  pid: number;
  /** The CDN origin, for `npm run rerender`. */
  s3Endpoint: string;
  bucket: string;
  cdnBaseUrl: string;
  /** The ladder the running pipeline renders (`VARIANT_WIDTHS`). */
  variantWidths: number[];
  /** The in-process queue engine and the jobs queue, for `npm run audit -- --fix`. */
  sqsEndpoint?: string;
  renderQueueUrl?: string;
}
