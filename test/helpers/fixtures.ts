import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real inputs written by other projects, kept beside the repository (never copied into it). Tests that
 * use them are skipped, with the folder named, when it is absent.
 */
export const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures');
export const hasFixtures = existsSync(FIXTURES_DIR);
export const fixturesMissing = `read from ${FIXTURES_DIR}`;

export interface ImageTruth {
  format: 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | null;
  width?: number | null;
  height?: number | null;
}

export interface FixtureImage {
  name: string;
  bytes: Buffer;
  /** What a correct sniffer says: the expected answer first, then any other accepted one. */
  answers: ImageTruth[];
}

export function fixtureImages(): FixtureImage[] {
  if (!hasFixtures) return [];
  const truth = JSON.parse(readFileSync(join(FIXTURES_DIR, 'images-truth.json'), 'utf8')) as Record<
    string,
    { expect: ImageTruth; also?: ImageTruth[] }
  >;
  const folder = join(FIXTURES_DIR, 'images');
  return readdirSync(folder)
    .sort()
    .map((name) => {
      const entry = truth[name];
      if (!entry) throw new Error(`no truth entry for fixture ${name}`);
      return {
        name,
        bytes: readFileSync(join(folder, name)),
        answers: [entry.expect, ...(entry.also ?? [])],
      };
    });
}

export function fixtureEvent<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, 'apigw-events', name), 'utf8')) as T;
}
