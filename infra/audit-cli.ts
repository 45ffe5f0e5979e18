import { parseArgs } from 'node:util';
import { type AuditReport, auditStore, FINDING_KINDS, type FindingKind } from '../lib/audit/audit';
import { type RepairReport, repairStore } from '../lib/audit/repair';
import { createAuditPorts, createRepairPorts } from '../lib/audit-service';
import { loadPipelineConfig } from '../lib/config';
import { targetEnvironment } from './operator-target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `npm run audit -- [--json] [--fix]

Is the store whole? Walks the table and lists the bucket (paged, reading only) and reports, with counts
and the first few of each: images pending longer than the sweeper's patience (BACKLOG_PATIENCE_MINUTES),
ready images whose objects are missing, objects no content refers to (older than an hour), contents
whose references disagree with the images that hold them, settled sets never announced, and dead
letters waiting.

  --json   the report as one JSON object on stdout
  --fix    then repairs what is safe to repair, reading each thing again first, and says what it did:
           deletes the orphans, enqueues the stuck images' jobs again, announces the unannounced sets,
           adds a missing reference of an image that holds its content and releases one no settled
           image holds, renders missing objects again from their original. Dead letters are left to
           their runbook.

Deployed: TABLE_NAME, BUCKET_NAME, AWS_REGION (and DEAD_LETTER_QUEUE_URL) and AWS credentials in the
environment. Locally: the running npm start is found by itself. Exit code: 0 when every count is zero,
1 when something was found, 2 when it could not run.`;

const TITLES: Record<FindingKind, string> = {
  stuckPending: 'images pending past the patience',
  missingObjects: 'objects of ready images missing',
  orphanObjects: 'objects no content refers to',
  referenceMismatch: 'contents whose references disagree',
  unannounced: 'settled sets never announced',
  deadLetters: 'dead letters waiting',
};

export function reportLines(report: AuditReport): string[] {
  const { scanned } = report;
  const lines = [
    `audit: ${scanned.skus} SKUs, ${scanned.images} images, ${scanned.contents} contents, ${scanned.objects} objects`,
  ];
  for (const kind of FINDING_KINDS) {
    const finding = report.findings[kind];
    lines.push(`  ${TITLES[kind]}: ${finding.count}`);
    for (const example of finding.examples) lines.push(`    ${example}`);
  }
  lines.push(report.clean ? 'The store is whole.' : 'Something is not whole: see above.');
  return lines;
}

export function repairLines(repair: RepairReport): string[] {
  return [
    'Repaired:',
    `  orphan objects deleted: ${repair.orphansDeleted}`,
    `  stuck images enqueued again: ${repair.jobsEnqueued}`,
    `  settled sets announced: ${repair.setsAnnounced}`,
    `  references added: ${repair.referencesAdded}, released: ${repair.referencesReleased}`,
    `  objects rendered again: ${repair.objectsRestored}`,
    ...(repair.left.length > 0 ? ['Left as it is:', ...repair.left.map((line) => `  ${line}`)] : []),
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      fix: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadPipelineConfig(targetEnvironment());
  let shown = 0;
  const report = await auditStore({
    ...createAuditPorts(config),
    onProgress: ({ items, objects }) => {
      if (performance.now() - shown < 500) return;
      shown = performance.now();
      process.stderr.write(`\raudit: ${items} items, ${objects} objects read`);
    },
  });
  if (shown > 0) process.stderr.write('\n');
  const { damage: _damage, ...readable } = report;
  const repair =
    values.fix && !report.clean ? await repairStore(report.damage, createRepairPorts(config)) : null;
  if (values.json)
    process.stdout.write(`${JSON.stringify({ ...readable, ...(repair ? { repair } : {}) })}\n`);
  else
    process.stdout.write(`${[...reportLines(report), ...(repair ? repairLines(repair) : [])].join('\n')}\n`);
  if (repair) return repair.left.length === 0 && report.findings.deadLetters.count === 0 ? 0 : 1;
  return report.clean ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`audit: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
