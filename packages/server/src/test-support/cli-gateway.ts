import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from './backends.js';

// The built CLI, as operators run it (npm test builds first).
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function countOf(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

export interface CliGateway {
  gateway: Gateway;
  /** http://127.0.0.1:<port>, where the gateway listens. */
  base: string;
  /** The admin token: 40 hex characters known only to this test. */
  token: string;
  /** Every run's output, for checks across all of them (the admin token is never printed). */
  outputs: CliRun[];
  /** Runs the built CLI as a child process, by default with TIJORI_URL and TIJORI_ADMIN_TOKEN set and no .tijori/ in its directory. */
  tijori(args: string[], env?: Record<string, string>, cwd?: string): Promise<CliRun>;
  /** Runs `tijori <args> --json`, asserts exit 0, and parses the reply. */
  json<T = Record<string, any>>(args: string[]): Promise<T>;
  close(): Promise<void>;
}

/**
 * A gateway listening on loopback in this process (PGlite, silent log), for
 * tests that drive it with the real CLI. `env` adds TIJORI_* settings.
 */
export async function startCliGateway(env: Record<string, string> = {}): Promise<CliGateway> {
  const pglite = BACKENDS.find((b) => b.name === 'pglite');
  if (!pglite) throw new Error('the PGlite back-end is missing');
  const token = randomBytes(20).toString('hex');
  const opened: OpenedBackend = await pglite.open();
  let gateway: Gateway;
  try {
    const config = loadConfig({
      PORT: '0',
      TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-cli-gw-')),
      TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
      TIJORI_ADMIN_TOKEN: token,
      ...env,
    });
    gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent') });
  } catch (err) {
    await opened.cleanup();
    throw err;
  }
  const base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  const outputs: CliRun[] = [];
  // A directory without .tijori/, so only the environment or flags supply a token.
  const emptyCwd = mkdtempSync(join(tmpdir(), 'tijori-cli-cwd-'));

  // The gateway lives in this process, so the child must be awaited, never run synchronously.
  async function tijori(args: string[], runEnv: Record<string, string> = { TIJORI_URL: base, TIJORI_ADMIN_TOKEN: token }, cwd = emptyCwd): Promise<CliRun> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...runEnv }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = (await once(child, 'close')) as [number | null];
    const run = { code, stdout, stderr };
    outputs.push(run);
    return run;
  }

  return {
    gateway,
    base,
    token,
    outputs,
    tijori,
    async json<T = Record<string, any>>(args: string[]): Promise<T> {
      const run = await tijori([...args, '--json']);
      assert.equal(run.code, 0, `tijori ${args.join(' ')}: ${run.stderr}`);
      return JSON.parse(run.stdout) as T;
    },
    async close() {
      try {
        await gateway.close();
      } finally {
        await opened.cleanup();
      }
    },
  };
}
