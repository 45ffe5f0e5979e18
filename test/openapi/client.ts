import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The worked example of a client generated from `openapi.json`: `openapi-typescript` turns the document
 * into types (`schema.d.ts`, `npm run openapi`), and `openapi-fetch` makes a typed `fetch` client of them.
 * Paths, query parameters, bodies and answers are all checked by the compiler.
 */
export function productImagesClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Token ${apiKey}` } });
}
