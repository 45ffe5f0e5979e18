import { spawnSync } from 'node:child_process';

export const MINIMUM_NODE_MAJOR = 20;
export const MINIMUM_JAVA_MAJOR = 17;

/**
 * The major version in `java -version`'s first line: `openjdk version "17.0.15"` is 17, the old
 * scheme's `java version "1.8.0_292"` is 8. Null when the output names no version.
 */
export function javaMajorVersion(versionOutput: string): number | null {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return null;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

export type JavaProbe = { found: false } | { found: true; major: number | null; output: string };

/** Runs `java -version` from PATH; nothing is left running (it exits at once). */
export function probeJava(): JavaProbe {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error) return { found: false };
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  return { found: true, major: javaMajorVersion(output), output };
}

const INSTALL_JAVA = [
  `  Debian/Ubuntu:    sudo apt-get install -y openjdk-${MINIMUM_JAVA_MAJOR}-jre-headless`,
  `  macOS (Homebrew): brew install openjdk@${MINIMUM_JAVA_MAJOR}   (then follow its note to put it on PATH)`,
  `  Windows:          winget install EclipseAdoptium.Temurin.${MINIMUM_JAVA_MAJOR}.JRE`,
  'Then check with `java -version` and run the command again.',
].join('\n');

/**
 * What is missing for `command` (`npm start`, `npm test`, `npm run bench`), each as one paragraph a
 * person can act on; empty when everything is there.
 */
export function missingPrerequisites(
  command: string,
  probes: { nodeVersion?: string; java?: JavaProbe } = {},
): string[] {
  const problems: string[] = [];
  const nodeVersion = probes.nodeVersion ?? process.versions.node;
  const nodeMajor = Number(nodeVersion.split('.')[0]);
  if (!(nodeMajor >= MINIMUM_NODE_MAJOR)) {
    problems.push(
      `${command} needs Node.js ${MINIMUM_NODE_MAJOR} or newer; this is Node.js ${nodeVersion}. ` +
        'Install a current Node.js (https://nodejs.org, or your package manager) and run it again.',
    );
  }
  const java = probes.java ?? probeJava();
  const needs = `${command} runs DynamoDB Local, AWS's own DynamoDB engine, as its database, and DynamoDB Local is a Java program`;
  if (!java.found) {
    problems.push(
      `${needs}: it needs a Java runtime ${MINIMUM_JAVA_MAJOR} or newer, and there is no \`java\` on PATH. Install one:\n${INSTALL_JAVA}`,
    );
  } else if (java.major === null || java.major < MINIMUM_JAVA_MAJOR) {
    const seen = java.output.split('\n')[0]?.trim() || 'no version';
    problems.push(
      `${needs}: it needs Java ${MINIMUM_JAVA_MAJOR} or newer, and \`java -version\` says: ${seen}. Install a newer one:\n${INSTALL_JAVA}`,
    );
  }
  return problems;
}

/** Prints what is missing and answers false; the caller exits with 1 before starting anything. */
export function reportPrerequisites(
  command: string,
  write: (text: string) => void = (text) => process.stderr.write(text),
): boolean {
  const problems = missingPrerequisites(command);
  for (const problem of problems) write(`\n${problem}\n`);
  if (problems.length > 0) write('\n');
  return problems.length === 0;
}
