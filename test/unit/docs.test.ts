/**
 * The docs cannot drift from the code: every relative link and anchor in README.md and docs/ resolves,
 * every `npm run` script they name exists, every environment variable they document is read by the code
 * (and every one the code reads is documented), and every file path they mention exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { plainText } from '../../infra/local/guide-pages';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const trackedSet = new Set(tracked);
const trackedFolders = new Set(
  tracked.flatMap((file) =>
    file
      .split('/')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
  ),
);
const trackedNames = new Set(tracked.map((file) => basename(file)));
const docs = ['README.md', ...tracked.filter((file) => file.startsWith('docs/') && file.endsWith('.md'))];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Every token of a document, depth first (lists, tables and paragraphs hold inline tokens). */
function walk(tokens: readonly Token[]): Token[] {
  return tokens.flatMap((token) => {
    const children: Token[] = [];
    const withTokens = token as { tokens?: Token[]; items?: Token[] };
    if (withTokens.tokens) children.push(...walk(withTokens.tokens));
    if (withTokens.items) children.push(...walk(withTokens.items));
    if (token.type === 'table') {
      const table = token as Tokens.Table;
      for (const cell of [...table.header, ...table.rows.flat()]) children.push(...walk(cell.tokens));
    }
    return [token, ...children];
  });
}

const parsed = new Map(docs.map((file) => [file, walk(lexer(read(file)))]));

/** The anchors GitHub gives a document's headings. */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(
    (parsed.get(file) ?? [])
      .filter((token): token is Tokens.Heading => token.type === 'heading')
      .map((heading) => slugger.slug(plainText(heading.tokens))),
  );
}

/** Inline code spans and code blocks: where commands, variables and paths are written. */
function codeOf(file: string): string[] {
  return (parsed.get(file) ?? [])
    .filter((token) => token.type === 'codespan' || token.type === 'code')
    .map((token) => (token as Tokens.Codespan | Tokens.Code).text);
}

describe('the docs', () => {
  it('are README.md and one page per question in docs/, each saying first what it answers', () => {
    expect(docs.length).toBeGreaterThan(5);
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(200);
    for (const file of docs.filter((name) => name !== 'README.md')) {
      expect(read(file), file).toMatch(/^# .+\n\nWhat this page answers: /);
    }
  });

  it('draw the service in the README: API, table, stream, queue, renderer, bucket, CDN, storefront', () => {
    const diagram = (parsed.get('README.md') ?? []).find(
      (token): token is Tokens.Code => token.type === 'code' && token.lang === 'mermaid',
    );
    expect(diagram?.text).toMatch(/^flowchart /);
    // Each line is a chain `a["label"] -->|"edge"| b["label"] --> …`; nodes keep the label first given.
    const labels = new Map<string, string>();
    const edges = new Set<string>();
    for (const line of (diagram?.text ?? '').split('\n').slice(1)) {
      const nodes = line.split(/\s*-->(?:\|"[^"]*"\|)?\s*/).map((node) => {
        const [, id = '', label] = /^\s*(\w+)(?:[[(]+"([^"]+)"[\])]+)?\s*$/.exec(node) ?? [];
        if (label && !labels.has(id)) labels.set(id, label);
        return id;
      });
      for (let i = 1; i < nodes.length; i++) edges.add(`${nodes[i - 1]}>${nodes[i]}`);
    }
    const idOf = (words: string) => [...labels].find(([, label]) => label.includes(words))?.[0];
    const path = [
      'API Gateway',
      'DynamoDB',
      'stream consumer',
      'SQS',
      'renderer',
      'S3',
      'CloudFront',
      'storefront',
    ];
    for (let i = 1; i < path.length; i++) {
      expect(edges, `${path[i - 1]} → ${path[i]}`).toContain(
        `${idOf(path[i - 1] ?? '')}>${idOf(path[i] ?? '')}`,
      );
    }
  });

  it('link only to files and anchors that exist', () => {
    const broken: string[] = [];
    for (const file of docs) {
      const targets = (parsed.get(file) ?? [])
        .filter((token) => token.type === 'link' || token.type === 'image')
        .map((token) => (token as Tokens.Link).href);
      for (const href of targets) {
        if (/^[a-z]+:/i.test(href)) continue;
        const [path = '', anchor] = href.split('#');
        const target = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        if (!existsSync(join(ROOT, target))) broken.push(`${file}: ${href} (no ${target})`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor)) {
          broken.push(`${file}: ${href} (no heading #${anchor} in ${target})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('name only npm scripts that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    const named = docs.flatMap((file) =>
      [...read(file).matchAll(/\bnpm (?:run ([a-z][\w-]*(?::[\w-]+)*)|(start|test)\b)/g)].map((match) => ({
        file,
        script: match[1] ?? match[2] ?? '',
      })),
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter(({ script }) => !scripts.includes(script))).toEqual([]);
  });

  it('mention only files that exist', () => {
    // Files the code writes at run time (local mode's state): named in the docs, never in the repository.
    const written = tracked
      .filter((file) => /^(infra|lib)\/.*\.ts$/.test(file))
      .map(read)
      .join('\n');
    const missing: string[] = [];
    for (const file of docs) {
      for (const code of codeOf(file).filter((text) => !text.includes('\n'))) {
        const path = code.replace(/\/$/, '');
        if (/\s|[<>*…]/.test(path)) continue;
        const firstSegment = path.split('/')[0] ?? '';
        const inRepository =
          path.includes('/') && (trackedSet.has(firstSegment) || trackedFolders.has(firstSegment));
        if (inRepository) {
          if (!trackedSet.has(path) && !trackedFolders.has(path)) missing.push(`${file}: ${code}`);
        } else if (/^[\w.-]+\.(ts|js|json|jsonl|md|ya?ml)$/.test(path) && !trackedNames.has(path)) {
          if (!written.includes(`'${path}'`)) missing.push(`${file}: ${code}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  describe('environment variables', () => {
    // What the code reads: process.env.X, env.X, env['X'], the config helpers' (env, 'X'), and the
    // workflows' repository variables (vars.X).
    const READ =
      /(?:process\.env|\benv)(?:\.([A-Z][A-Z0-9_]+)|\[\s*'([A-Z][A-Z0-9_]+)'\s*\])|\benv,\s*'([A-Z][A-Z0-9_]+)'|\bvars\.([A-Z][A-Z0-9_]+)/g;
    const sources = tracked.filter(
      (file) =>
        /^(lib|functions|infra|test\/helpers|test\/bench)\/.*\.(ts|js)$/.test(file) ||
        /^\.github\/workflows\/.*\.yml$/.test(file),
    );
    const readByCode = new Set(
      sources.flatMap((file) =>
        [...read(file).matchAll(READ)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4] ?? ''),
      ),
    );
    // Read by Node or by AWS's own code, never ours; the docs name them for what they set there.
    const READ_BY_THE_PLATFORM = new Set(['NODE_OPTIONS']);

    /** Variables the docs document: the first column of a "variable" table, and `NAME=value` in code. */
    const documented = new Map<string, string>();
    for (const file of docs) {
      for (const token of parsed.get(file) ?? []) {
        if (token.type !== 'table') continue;
        const table = token as Tokens.Table;
        if (!/variable/i.test(table.header[0]?.text ?? '')) continue;
        for (const row of table.rows) {
          for (const name of (row[0]?.text ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g))
            documented.set(name[1] ?? '', file);
        }
      }
      for (const code of codeOf(file)) {
        for (const name of code.matchAll(/(?<![\w-])([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,})=/g))
          documented.set(name[1] ?? '', file);
      }
    }

    it('the docs document are each read by the code', () => {
      expect(documented.size).toBeGreaterThan(40);
      const unread = [...documented].filter(
        ([name]) => !readByCode.has(name) && !READ_BY_THE_PLATFORM.has(name),
      );
      expect(unread.map(([name, file]) => `${name} (${file})`)).toEqual([]);
    });

    it('the code reads are each documented', () => {
      expect(readByCode.size).toBeGreaterThan(40);
      expect([...readByCode].filter((name) => !documented.has(name))).toEqual([]);
    });
  });
});
