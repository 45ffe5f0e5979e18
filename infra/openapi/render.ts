import { openApiDocument } from './document';

export const OPENAPI_FILE = 'openapi.json';
/** The TypeScript types of the document that the worked client example (and its test) use. */
export const CLIENT_TYPES_FILE = 'test/openapi/schema.d.ts';

/** The document as `openapi.json` holds it: two-space JSON and a final newline, so a diff shows every change. */
export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

/** `paths`, `components` and `operations` types, as `npx openapi-typescript openapi.json` makes them. */
export async function renderClientTypes(): Promise<string> {
  const header =
    '/**\n * Generated from openapi.json by `npm run openapi` (openapi-typescript). Do not edit.\n */\n\n';
  // Loaded only here: local mode serves the document without this generator.
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  return `${header}${astToString(await openapiTS(JSON.parse(renderOpenApi()), { silent: true }))}`;
}
