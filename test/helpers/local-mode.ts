import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** A port free right now (one the kernel hands out to whoever asks for any port). */
export async function freePort(): Promise<number> {
  return (await bindable(0)) ?? 0;
}

/** Binds `port` on loopback and lets it go: the port bound, or null when it was taken. */
async function bindable(port: number): Promise<number | null> {
  const server = createServer();
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', done);
    });
  } catch {
    return null;
  }
  const bound = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  return bound;
}

/**
 * A free port below the kernel's ephemeral range, for a server that must come back on the same port
 * after a restart (the local CDN, whose base URL is in the answers): the kernel never hands such a
 * port to a test that asks for any port, so none can take it between the stop and the start.
 */
export async function portOutsideEphemeralRange(): Promise<number> {
  const [lowest = 32768] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const floor = Math.min(20_000, lowest - 1000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = floor + Math.floor(Math.random() * (lowest - floor));
    const bound = await bindable(candidate);
    if (bound !== null) return bound;
  }
  throw new Error(`no free port between ${floor} and ${lowest}`);
}

/** Processes running with the marker (`NAME=value`) in their environment: a command and its children. */
export function processesMarked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `npm start` as a person runs it: its own process, its own engines, its own working folder. */
export interface LocalMode {
  child: ChildProcess;
  /** The folder it runs in (where `.local/` goes). */
  directory: string;
  baseUrl: string;
  apiKey: string;
  /** Everything it printed so far, both streams. */
  output(): string;
  stop(): Promise<number | null>;
}

/** The command `npm start` runs, without npm in between, so signals reach it directly. */
export function localModeCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/local/start.ts')],
  };
}

/** `npm run rerender`, run in a folder of one's choice (it finds the local service through `.local/`). */
export function rerenderCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/rerender-cli.ts')],
  };
}

/** `npm run audit`, run in a folder of one's choice (it finds the local service through `.local/`). */
export function auditCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/audit-cli.ts')],
  };
}

/** `npm run token`, run in a folder of one's choice (it finds the local service through `.local/`). */
export function tokenCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/token-cli.ts')],
  };
}

export function runLocalMode(
  env: Record<string, string | undefined>,
  directory = mkdtempSync(join(tmpdir(), 'local-mode-')),
) {
  const { command, args } = localModeCommand();
  const child = spawn(command, args, {
    cwd: directory,
    env: { ...process.env, PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, directory, output: () => output, exited };
}

/** Starts local mode and waits for it to print its address and key. */
export async function startLocalMode(
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
  directory?: string,
): Promise<LocalMode> {
  const run = runLocalMode(env, directory);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = /running at (http:\/\/[\d.:]+)\//.exec(run.output());
    const key = /API key: ([0-9a-f]{40})/.exec(run.output());
    if (running?.[1] && key?.[1] && run.output().includes('Ctrl-C')) {
      return {
        child: run.child,
        directory: run.directory,
        baseUrl: running[1],
        apiKey: key[1],
        output: run.output,
        stop: async () => {
          if (run.child.exitCode === null) run.child.kill('SIGTERM');
          return run.exited;
        },
      };
    }
    if (run.child.exitCode !== null || Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new Error(`local mode did not start:\n${run.output()}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}
