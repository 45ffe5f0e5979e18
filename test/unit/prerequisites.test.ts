import { describe, expect, it } from 'vitest';
import { javaMajorVersion, missingPrerequisites } from '../../infra/local/prerequisites';

describe('prerequisites of npm start, npm test and npm run bench', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['Picked up JAVA_TOOL_OPTIONS: -Xmx1g\nopenjdk version "22-ea" 2024-03-19', 22],
    ['something else entirely', null],
  ])('reads the major version from `java -version`: %j', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });

  it('asks for nothing when Node and Java are recent enough', () => {
    expect(
      missingPrerequisites('npm start', {
        nodeVersion: '20.20.2',
        java: { found: true, major: 17, output: '' },
      }),
    ).toEqual([]);
  });

  it('names what needs Java and how to install it when there is none', () => {
    const [paragraph, ...rest] = missingPrerequisites('npm test', {
      nodeVersion: '20.1.0',
      java: { found: false },
    });
    expect(rest).toEqual([]);
    expect(paragraph).toMatch(/^npm test runs DynamoDB Local/);
    expect(paragraph).toMatch(/Java runtime 17 or newer/);
    expect(paragraph).toMatch(/apt-get install -y openjdk-17-jre-headless/);
    expect(paragraph).toMatch(/brew install openjdk@17/);
    expect(paragraph).toMatch(/winget install/);
  });

  it('says which version it found when Java is too old, and when Node is', () => {
    const problems = missingPrerequisites('npm start', {
      nodeVersion: '18.19.0',
      java: { found: true, major: 8, output: 'java version "1.8.0_292"\nmore' },
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/Node.js 20 or newer; this is Node.js 18.19.0/);
    expect(problems[1]).toMatch(/`java -version` says: java version "1.8.0_292"\./);
  });
});
