import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lexer, type Token, type Tokens } from 'marked';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A page of docs/ as marked reads it. */
export function docTokens(page: string): Token[] {
  return lexer(readFileSync(join(ROOT, 'docs', page), 'utf8'));
}

/** The code block a page marks `<!-- recipe: NAME -->`, exactly as a reader copies it. */
export function recipe(page: string, name: string): string {
  const tokens = docTokens(page);
  const marker = tokens.findIndex(
    (token) => token.type === 'html' && token.raw.includes(`<!-- recipe: ${name} -->`),
  );
  const code = tokens[marker + 1];
  if (marker < 0 || code?.type !== 'code') throw new Error(`docs/${page} has no recipe ${name}`);
  return (code as Tokens.Code).text;
}

/**
 * A JavaScript recipe as a module: written under node_modules (so its imports, `thumbhash`, resolve as
 * in the reader's project) and imported.
 */
export async function importRecipe<Module>(page: string, name: string): Promise<Module> {
  const folder = join(ROOT, 'node_modules', '.cache', 'doc-recipes');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${process.pid}-${name.replace(/\.js$/, '.mjs')}`);
  writeFileSync(file, recipe(page, name));
  return (await import(pathToFileURL(file).href)) as Module;
}

/** The rows of the first table after the paragraph that starts with `heading`, as header → cell maps. */
export function tableAfter(page: string, heading: string): Array<Record<string, string>> {
  const tokens = docTokens(page);
  const start = tokens.findIndex((token) => token.type === 'paragraph' && token.raw.startsWith(heading));
  const table = tokens.slice(start).find((token) => token.type === 'table') as Tokens.Table | undefined;
  if (start < 0 || !table) throw new Error(`docs/${page} has no table after "${heading}"`);
  return table.rows.map((row) =>
    Object.fromEntries(row.map((cell, i) => [table.header[i]?.text ?? String(i), cell.text])),
  );
}
