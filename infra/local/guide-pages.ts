import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { Marked, type Token, type Tokens } from 'marked';
import type { LocalFile } from './http-server';

/** The repository's `docs/` folder: local mode serves it as it is on disk, so an edit shows on reload. */
export const DOCS_FOLDER = fileURLToPath(new URL('../../docs/', import.meta.url));
/** Where local mode serves the docs; a page's relative links (`api.md#keys`) resolve under it. */
export const GUIDE_PATH = '/guide/';

/** A heading's words as GitHub reads them for its anchor: the text of every inline token, no markup. */
export function plainText(tokens: readonly Token[]): string {
  return tokens
    .map((token) => {
      const children = (token as { tokens?: Token[] }).tokens;
      if (children && children.length > 0) return plainText(children);
      return token.type === 'escape' || token.type === 'codespan' || token.type === 'text'
        ? (token as Tokens.Text).text
        : token.raw;
    })
    .join('');
}

/**
 * A Markdown page as HTML, each heading with the anchor GitHub gives it (`github-slugger`, duplicates
 * numbered), so the docs' links work alike on GitHub and here. The docs are this repository's own.
 */
export function renderGuidePage(markdown: string): string {
  const slugger = new GithubSlugger();
  const marked = new Marked({
    renderer: {
      heading({ tokens, depth }) {
        const id = slugger.slug(plainText(tokens));
        return `<h${depth} id="${id}"><a href="#${id}">${this.parser.parseInline(tokens)}</a></h${depth}>\n`;
      },
    },
  });
  const body = marked.parse(markdown, { async: false });
  const title = /^# (.+)$/m.exec(markdown)?.[1]?.replace(/`/g, '') ?? 'product-images';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.replace(/[<&]/g, '')} · product-images</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 60rem; color: #222; }
  nav { font-size: .9rem; margin-bottom: 1rem; }
  h1 a, h2 a, h3 a, h4 a { color: inherit; text-decoration: none; }
  pre { background: #f5f5f5; padding: .75rem; overflow-x: auto; }
  code { font-size: .9em; }
  table { border-collapse: collapse; display: block; overflow-x: auto; }
  th, td { border: 1px solid #ddd; padding: .25rem .5rem; vertical-align: top; }
  img { max-width: 100%; }
</style>
</head>
<body>
<nav><a href="${GUIDE_PATH}">Docs</a> · <a href="/">Catalogue</a> · <a href="/docs">API reference</a></nav>
${body}
</body>
</html>
`;
}

/** The docs index: each page's title and the first sentence saying what it answers. */
function renderGuideIndex(pages: ReadonlyArray<{ name: string; markdown: string }>): string {
  const entries = pages.map(({ name, markdown }) => {
    const title = /^# (.+)$/m.exec(markdown)?.[1] ?? name;
    const answers = /^What this page answers: (.+?\.)/ms.exec(markdown)?.[1]?.replace(/\s+/g, ' ') ?? '';
    return `- [${title}](${name}): ${answers}`;
  });
  return renderGuidePage(`# The docs\n\n${entries.join('\n')}\n`);
}

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * `/guide/` (the index), `/guide/<page>.md` (each page of `docs/`, rendered) and the images they show.
 * The set of paths is fixed when local mode starts, from the folder's listing: nothing else is served.
 */
export function guideFiles(folder = DOCS_FOLDER): Map<string, LocalFile> {
  const html = 'text/html; charset=utf-8';
  const pages = readdirSync(folder)
    .filter((name) => name.endsWith('.md'))
    .sort();
  const readPages = () =>
    Promise.all(pages.map(async (name) => ({ name, markdown: await readFile(`${folder}${name}`, 'utf8') })));
  const files = new Map<string, LocalFile>([
    [GUIDE_PATH, { contentType: html, bytes: async () => Buffer.from(renderGuideIndex(await readPages())) }],
  ]);
  for (const name of pages) {
    files.set(`${GUIDE_PATH}${name}`, {
      contentType: html,
      bytes: async () => Buffer.from(renderGuidePage(await readFile(`${folder}${name}`, 'utf8'))),
    });
  }
  for (const name of readdirSync(`${folder}images`)) {
    const type = IMAGE_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type)
      files.set(`${GUIDE_PATH}images/${name}`, {
        contentType: type,
        bytes: () => readFile(`${folder}images/${name}`),
      });
  }
  return files;
}
