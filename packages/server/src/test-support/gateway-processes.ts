import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { signRequest } from '@tijori/signing';
import postgres from 'postgres';
import { TEST_DATABASE_URL } from './backends.js';
import { freePort } from './free-port.js';

/** The built CLI, as operators run it (npm test builds first). */
export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

/** A database of its own on the suite's PostgreSQL server (or `serverUrl`), dropped (with FORCE) by `drop`. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix: string, serverUrl = TEST_DATABASE_URL): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export interface GatewayProcess {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr and stdout, for assertion messages. */
  output(): string;
  /** Hard kill (no drain): what a crash or the OOM killer does. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface GatewayFleet {
  processes: GatewayProcess[];
  adminToken: string;
  masterKey: string;
  /** Starts one more process with the fleet's settings (and `extraEnv`); resolves once /readyz answers 200. */
  start(extraEnv?: Record<string, string>, command?: string): Promise<GatewayProcess>;
  /** SIGTERM to every process still running, then waits for them. */
  stopAll(): Promise<void>;
}

export interface FleetOptions {
  databaseUrl: string;
  /** REDIS_URL for every process; omit for none. */
  redisUrl?: string;
  /** More TIJORI_* settings for every process. */
  env?: Record<string, string>;
  /** How long a process may take to answer /readyz; default 20 s (a loaded 2-core machine). */
  readyTimeoutMs?: number;
}

/**
 * Real `tijori serve` processes sharing one database (and Redis), as behind a
 * load balancer: the same master key and admin token, each its own port and
 * data directory. For tests of what holds across processes and crashes.
 */
export function gatewayFleet(options: FleetOptions): GatewayFleet {
  const adminToken = `tja_${randomBytes(24).toString('hex')}`;
  const masterKey = randomBytes(32).toString('base64');
  const processes: GatewayProcess[] = [];
  const dataDirs: string[] = [];

  async function start(extraEnv: Record<string, string> = {}, command = 'serve'): Promise<GatewayProcess> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tijori-fleet-'));
    dataDirs.push(dataDir);
    const child = spawn(process.execPath, [CLI, command], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        TIJORI_MASTER_KEY: masterKey,
        TIJORI_ADMIN_TOKEN: adminToken,
        TIJORI_DATA_DIR: dataDir,
        TIJORI_LOG_LEVEL: 'warn',
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
        ...options.env,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const gp: GatewayProcess = {
      base,
      port,
      child,
      output: () => output,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill(signal);
        await exited;
      },
    };
    processes.push(gp);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`tijori ${command} exited with ${child.exitCode} before it was ready:\n${output}`);
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) return gp;
      await new Promise((r) => setTimeout(r, 100));
    }
    await gp.kill();
    throw new Error(`tijori ${command} on port ${port} was not ready in time:\n${output}`);
  }

  return {
    processes,
    adminToken,
    masterKey,
    start,
    async stopAll() {
      await Promise.all(processes.map((p) => p.kill('SIGTERM')));
      for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The headers of a request signed now (v1: body + timestamp), as a merchant's integration sends them. */
export function signedHeaders(key: { api_key: string; secret_key: string }, payload: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-api-key': key.api_key,
    'x-timestamp': timestamp,
    'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }),
  };
}

export interface JsonReply {
  status: number;
  body: Record<string, any>;
}

/** POSTs JSON to a gateway as the admin (`bearer`) or as a merchant (`key`: signed now, v1 scheme); with `timeoutMs`, a later reply rejects. */
export async function postJson(base: string, path: string, body: unknown, auth: { bearer?: string; key?: { api_key: string; secret_key: string } }, timeoutMs?: number): Promise<JsonReply> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = auth.key ? signedHeaders(auth.key, payload) : { 'content-type': 'application/json' };
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  const res = await fetch(base + path, { method: 'POST', headers, body: payload, ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Asserts the process is still running and logged no unhandled error, rejection or exception. */
export function assertAlive(gp: GatewayProcess): void {
  assert.equal(gp.child.exitCode, null, `the gateway exited:\n${gp.output().slice(-4000)}`);
  assert.equal(gp.child.signalCode, null, `the gateway was killed:\n${gp.output().slice(-4000)}`);
  assert.doesNotMatch(gp.output(), /unhandled|uncaught/i, `no unhandled rejection, uncaught exception or unhandled (500) error was logged:\n${gp.output().slice(-4000)}`);
}
