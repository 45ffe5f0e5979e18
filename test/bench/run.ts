/** `npm run bench`: every figure the closing notes quote, measured in one run. */
import { reportPrerequisites } from '../../infra/local/prerequisites';

if (!reportPrerequisites('npm run bench')) process.exit(1);

// The function modules build their default handler at import, as in Lambda; give them a table name.
process.env.TABLE_NAME ??= 'bench-table';
process.env.AWS_REGION ??= 'eu-west-1';
process.env.CDN_BASE_URL ??= 'https://cdn.example';
process.env.PAGE_CURSOR_KEY ??= 'bench-cursor-key-0123456789';
// The pipeline's modules too (the benchmarks pass their own stores; nothing reaches these).
process.env.BUCKET_NAME ??= 'bench-bucket';
process.env.RENDER_QUEUE_URL ??= 'http://127.0.0.1:9/queue/bench-jobs';
// EMF lines are for Lambda's log stream; here they would bury the figures.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { measureDynamoCalls } = await import('./dynamo-calls');
const { measureHandlerOverhead } = await import('./handler-overhead');
const { measureBatchConcurrency } = await import('./pipeline');
const { measureBundles } = await import('./bundles');
const { measureCatalogue } = await import('./catalogue');
const { estimateCost } = await import('./cost');
const { measureSettledEvents } = await import('./settled-events');
const { measureVariants } = await import('./variants');
const { measureQuality } = await import('./quality');
const { measureRerender } = await import('./rerender');
const { measureImport } = await import('./import');
const { measureRender } = await import('./render');
const { measurePageBytes } = await import('./page-bytes');
const { measureFaults } = await import('./faults');

const sections: Array<[string, () => Promise<string[]>]> = [
  ['DynamoDB calls per operation (DynamoDB Local, warm process)', measureDynamoCalls],
  ['In-process handler overhead (mocked DynamoDB)', measureHandlerOverhead],
  ['Catalogue at scale: walking the listing, shards', measureCatalogue],
  ['Image pipeline: concurrency', measureBatchConcurrency],
  ['Completion events: settled to published', measureSettledEvents],
  ['Storefront variants: rendering, dedupe, bytes, latency, cost', measureVariants],
  ['Render once, encode many: storefront slots for the CPU of a ladder', measureRender],
  ['Page bytes: the catalogue page at 400 px, 2x', measurePageBytes],
  ['Equal quality: each format at the same butteraugli distance', measureQuality],
  ['Ladder and rerender: the 2x slot, re-rendering cost', measureRerender],
  ['Imports at scale: a first import end to end, the deployed model', measureImport],
  ['Faults: an import with every service failing 5 % and 20 % of its calls', measureFaults],
  ['Function bundles', measureBundles],
  ['Estimated monthly cost', async () => estimateCost()],
];

// `npm run bench -- pipeline` runs only the sections whose title contains the word; a word that is
// some section's first word (`render`) runs only those.
const only = process.argv[2]?.toLowerCase();
const firstWord = (title: string) => title.toLowerCase().split(/[^a-z]+/)[0];
const exact = sections.filter(([title]) => only && firstWord(title) === only);
const chosen =
  exact.length > 0 ? exact : sections.filter(([title]) => !only || title.toLowerCase().includes(only));

for (const [title, measure] of chosen) {
  process.stdout.write(`\n## ${title}\n`);
  for (const line of await measure()) process.stdout.write(`${line}\n`);
}
