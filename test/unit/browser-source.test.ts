import { describe, expect, it } from 'vitest';
import { browserSource } from '../helpers/browser';

describe('the browser tests’ Chromium: CHROMIUM_PATH, else the system’s, else the packaged one', () => {
  const on =
    (...paths: string[]) =>
    (path: string) =>
      paths.includes(path);

  it('takes CHROMIUM_PATH first, and refuses one that names no file', () => {
    expect(
      browserSource(
        { CHROMIUM_PATH: '/opt/c/chrome', PATH: '/usr/bin' },
        on('/opt/c/chrome', '/usr/bin/chromium'),
      ),
    ).toEqual({
      kind: 'CHROMIUM_PATH',
      path: '/opt/c/chrome',
    });
    expect(() => browserSource({ CHROMIUM_PATH: '/nowhere/chrome' }, on())).toThrow(
      /CHROMIUM_PATH is \/nowhere\/chrome/,
    );
  });

  it('else a Chromium on the PATH, by any of its names', () => {
    expect(browserSource({ PATH: '/bin:/usr/bin' }, on('/usr/bin/chromium'))).toEqual({
      kind: 'system',
      path: '/usr/bin/chromium',
    });
    expect(browserSource({ PATH: '/opt/google/chrome' }, on('/opt/google/chrome/google-chrome'))).toEqual({
      kind: 'system',
      path: '/opt/google/chrome/google-chrome',
    });
  });

  it('else the packaged one: no system browser is needed', () => {
    expect(browserSource({ PATH: '/bin:/usr/bin' }, on())).toEqual({ kind: 'packaged' });
    expect(browserSource({ CHROMIUM_PATH: ' ' }, on())).toEqual({ kind: 'packaged' });
  });
});
