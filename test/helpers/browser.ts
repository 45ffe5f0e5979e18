import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser tests' Chromium comes from, in the order it is looked for. */
export type BrowserSource =
  | { kind: 'CHROMIUM_PATH'; path: string }
  | { kind: 'system'; path: string }
  | { kind: 'packaged' };

/** The names a system Chromium goes by (Debian's package, others', Google's build). */
const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/**
 * `CHROMIUM_PATH` when set; else a Chromium on the PATH; else the one packaged with the dev
 * dependencies (`@sparticuz/chromium`, headless Chromium in the npm package, unpacked to the temp
 * folder on first use). No browser is ever downloaded, and none is bundled into a function.
 */
export function browserSource(
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
): BrowserSource {
  const chosen = env.CHROMIUM_PATH?.trim();
  if (chosen) {
    if (!exists(chosen)) throw new Error(`CHROMIUM_PATH is ${chosen}, and there is no file there`);
    return { kind: 'CHROMIUM_PATH', path: chosen };
  }
  for (const folder of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of SYSTEM_NAMES) {
      const path = join(folder, name);
      if (exists(path)) return { kind: 'system', path };
    }
  }
  return { kind: 'packaged' };
}

/** The executable of `source`: the packaged one is unpacked (once per machine) when first asked for. */
export async function executableOf(source: BrowserSource): Promise<string> {
  if (source.kind !== 'packaged') return source.path;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

/** Headless Chromium, with no background traffic (this machine's network is closed). */
export async function launchBrowser(source: BrowserSource = browserSource()): Promise<Browser> {
  return chromium.launch({
    executablePath: await executableOf(source),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}
