import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLIENT_TYPES_FILE, OPENAPI_FILE, renderClientTypes, renderOpenApi } from './render';

/** `npm run openapi`: writes `openapi.json` and the TypeScript types a client generates from it. */
writeFileSync(resolve(OPENAPI_FILE), renderOpenApi());
writeFileSync(resolve(CLIENT_TYPES_FILE), await renderClientTypes());
process.stdout.write(`wrote ${OPENAPI_FILE} and ${CLIENT_TYPES_FILE}\n`);
