import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FAULT_TARGETS } from '../../infra/faults/fault-plan';
import { FINDING_KINDS } from '../../lib/audit/audit';
import type { FaultedImportResult } from '../helpers/faulted-import';
import { ROOT } from '../helpers/local-mode';

const run = promisify(execFile);

/** The rates the issue asks for: a bad day, and a very bad one. */
const RATES = [0.05, 0.2];
const SEED = 2026;

const plan = (rate: number) => FAULT_TARGETS.map((target) => `${target}=${rate}`).join(',');

/**
 * `npm run bench -- faults`: the proof test's import (30 products × 4 images, shared URLs, sets replaced
 * and emptied while they render) with every service failing 5 % and 20 % of its calls, each rate in a
 * process of its own: per service the operations, attempts, injected faults and the SDK's retries;
 * then the outcome and the audit.
 */
export async function measureFaults(): Promise<string[]> {
  const results: Array<[number, FaultedImportResult]> = [];
  for (const rate of RATES) {
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(ROOT, 'test/bench/faults-child.ts'),
        plan(rate),
        String(SEED),
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    const line = stdout.trim().split('\n').pop() ?? '{}';
    results.push([rate, JSON.parse(line) as FaultedImportResult]);
  }
  const lines = [
    `FAULTS=<target>=<rate> on every target, FAULTS_SEED=${SEED}; 30 products × 4 images on DynamoDB Local + s3rver + the local queue`,
    '',
    '| rate | service | operations | attempts | injected | SDK retries | kinds |',
    '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [rate, result] of results) {
    for (const target of FAULT_TARGETS) {
      const count = result.counts[target];
      const kinds = Object.entries(count.kinds)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
      lines.push(
        `| ${rate * 100} % | ${target} | ${count.operations} | ${count.calls} | ${count.injected} | ${target === 'origin' || target === 'events' ? '—' : count.calls - count.operations} | ${kinds} |`,
      );
    }
  }
  lines.push(
    '',
    '| rate | ready | failed (reason) | pending | API answers | API violations | unannounced | dead letters (unexplained) | audit findings | time |',
    '| ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- | ---: |',
  );
  for (const [rate, result] of results) {
    const failed = Object.entries(result.outcome.failed)
      .map(([reason, n]) => `${n} ${reason}`)
      .join('; ');
    const answers = Object.entries(result.answers)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    const findings = FINDING_KINDS.filter((kind) => result.audit.findings[kind].count > 0)
      .map((kind) => `${kind} ${result.audit.findings[kind].count}`)
      .join(', ');
    lines.push(
      `| ${rate * 100} % | ${result.outcome.ready} | ${failed || '0'} | ${result.outcome.pending} | ${answers} | ${result.apiViolations.length} | ${result.unannounced.length} | ${result.deadLetters} (${result.unexplainedDeadLetters.length}) | ${findings || 'none'} | ${(result.elapsedMs / 1000).toFixed(0)} s |`,
    );
  }
  for (const [rate, result] of results) {
    for (const problem of [
      ...result.apiViolations,
      ...result.unexplainedFailures,
      ...result.unexplainedDeadLetters,
      ...FINDING_KINDS.flatMap((kind) => result.audit.findings[kind].examples),
    ].slice(0, 8)) {
      lines.push(`  at ${rate * 100} %: ${problem}`);
    }
  }
  return lines;
}
