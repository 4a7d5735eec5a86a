import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { freePort } from './test-support/free-port.js';

// The built CLI, as `npm start` runs it (npm test builds first).
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;


function serve(dataDir: string, port: number, extraEnv: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', TIJORI_DATA_DIR: dataDir, PORT: String(port), TIJORI_LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

// 30 s: a first start creates the embedded database and runs every migration, slow on a loaded 2-core machine.
async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gateway did not become ready');
}

async function signedPost(base: string, creds: { api_key: string; secret_key: string }, path: string, body: unknown) {
  const payload = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(base + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': creds.api_key,
      'x-timestamp': timestamp,
      'x-signature': signRequest({ secret: creds.secret_key, timestamp, body: payload }),
    },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('tijori serve', () => {
  it('prints where the sandbox credentials are, stops cleanly on SIGTERM, and keeps acknowledged orders across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tijori-cli-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;

    const first = serve(dataDir, port);
    // Never leave a server behind: a child still running keeps the test process (and the suite) alive.
    const stopFirst = () => first.child.exitCode === null && first.child.signalCode === null && first.child.kill('SIGKILL');
    await waitReady(base).catch((err: Error) => {
      stopFirst();
      throw new Error(`${err.message}\n${first.output()}`);
    });
    assert.match(first.output(), /sandbox-credentials\.json/);
    assert.match(first.output(), /openssl dgst -sha256 -hmac/);
    const creds = JSON.parse(readFileSync(join(dataDir, 'sandbox-credentials.json'), 'utf8'));
    assert.equal(first.output().includes(creds.secret_key), false, 'the banner never prints the secret');

    const created = await signedPost(base, creds, '/api/v3/pg/order/create', {
      order_id: 'survives-restart',
      order_amount: '10.00',
      order_currency: 'INR',
      service_type: 'DIGITAL',
      customer: { name: 'A', email: 'a@example.com', phone: '9816512345' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));

    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    assert.equal(code, 0, first.output());

    const second = serve(dataDir, port);
    try {
      await waitReady(base);
      const status = await signedPost(base, creds, '/api/v3/pg/order/status', { order_id: 'survives-restart' });
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.return_data.gateway_order_id, created.body.return_data.gateway_order_id);
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });

  it('refuses to start on an unknown TIJORI_ setting, naming it (exit 78)', async () => {
    const { child, output } = serve(mkdtempSync(join(tmpdir(), 'tijori-cli-')), await freePort(), { TIJORI_TOLERANCE: '5' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 78);
    assert.match(output(), /Unknown setting TIJORI_TOLERANCE/);
  });

  it('refuses to start on PostgreSQL without a master key, saying how to make one', async () => {
    const { child, output } = serve(mkdtempSync(join(tmpdir(), 'tijori-cli-')), await freePort(), { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 78);
    assert.match(output(), /openssl rand -base64 32/);
  });
});
