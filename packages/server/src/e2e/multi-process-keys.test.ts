import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import postgres from 'postgres';
import { TEST_DATABASE_URL } from '../test-support/backends.js';
import { freePort } from '../test-support/free-port.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const ADMIN_TOKEN = `tja_${randomBytes(24).toString('hex')}`;


/**
 * Two real `tijori serve` processes on one PostgreSQL database, as behind a
 * load balancer: a key changed through one must stop (or start) working on
 * the other without waiting for its cache to expire.
 */
describe('several gateway processes on one PostgreSQL and one Redis', () => {
  const database = `tijori_mp_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  const children: ChildProcess[] = [];
  const bases: string[] = [];

  before(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    const masterKey = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, 'serve'], {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          DATABASE_URL: url.toString(),
          TIJORI_MASTER_KEY: masterKey,
          TIJORI_ADMIN_TOKEN: ADMIN_TOKEN,
          TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-mp-')),
          TIJORI_LOG_LEVEL: 'warn',
          // A long cache TTL, so only the change notification can explain a prompt refusal.
          TIJORI_KEY_CACHE_TTL_MS: '300000',
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        },
        stdio: 'ignore',
      });
      children.push(child);
      bases.push(`http://127.0.0.1:${port}`);
      for (let tries = 0; tries < 100; tries++) {
        const ok = await fetch(`${bases[i]}/readyz`).then((r) => r.ok, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  after(async () => {
    for (const child of children) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  async function adminCall(base: string, method: string, path: string, body?: unknown) {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  let n = 0;
  async function status(base: string, key: { api_key: string; secret_key: string }) {
    const payload = JSON.stringify({ order_id: `none-${n++}` });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${base}/api/v3/pg/order/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }) },
      body: payload,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  /** The bound we state: a change reaches every process when PostgreSQL delivers the NOTIFY, in practice milliseconds; we allow 2 s here. */
  async function within2s(check: () => Promise<boolean>): Promise<boolean> {
    for (let waited = 0; waited <= 2000; waited += 50) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  it('refuses a key revoked through one process on the other within the stated bound', async () => {
    const [a, b] = bases as [string, string];
    const created = await adminCall(a, 'POST', '/admin/v1/merchants', { name: 'Multi' });
    assert.equal(created.status, 201);
    const key = created.body.key as { api_key: string; secret_key: string };
    assert.equal((await status(b, key)).body.error_code, 'order_not_found', 'B knows the key (and caches it)');
    assert.equal((await adminCall(a, 'POST', `/admin/v1/keys/${key.api_key}/revoke`)).status, 200);
    assert.ok(await within2s(async () => (await status(b, key)).body.error_code === 'revoked_api_key'), 'B refuses the revoked key');
  });

  it('shares one rate-limit budget between the processes through Redis', async () => {
    const [a, b] = bases as [string, string];
    const created = await adminCall(a, 'POST', '/admin/v1/merchants', { name: 'Budget' });
    const key = created.body.key as { api_key: string; secret_key: string };
    assert.equal((await adminCall(a, 'PUT', `/admin/v1/keys/${key.api_key}/rate-limit`, { per_minute: 4 })).status, 200);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await status(a, key)).body.error_code, (await status(b, key)).body.error_code);
    assert.equal(codes.filter((c) => c === 'order_not_found').length, 4, codes.join(','));
    assert.equal(codes.filter((c) => c === 'rate_limited').length, 2, codes.join(','));
  });

  it('executes a signed request sent to both processes at the same moment exactly once, every time (the replay store is in Redis)', async () => {
    const [a, b] = bases as [string, string];
    const created = await adminCall(a, 'POST', '/admin/v1/merchants', { name: 'Replayed' });
    const key = created.body.key as { api_key: string; secret_key: string };
    for (let round = 0; round < 20; round++) {
      const payload = JSON.stringify({ order_id: `twice-${round}`, order_amount: '10.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'R', email: 'r@example.com', phone: '9876543210' } });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = { 'content-type': 'application/json', 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }) };
      const replies = await Promise.all([a, b].map((base) => fetch(`${base}/api/v3/pg/order/create`, { method: 'POST', headers, body: payload }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }))));
      const codes = replies.map((r) => (r.status === 200 ? 'created' : r.body.error_code)).sort();
      assert.deepEqual(codes, ['created', 'replayed_request'], `round ${round}`);
    }
  });

  it('applies a roll made through one process on the other: the new secret works there at once', async () => {
    const [a, b] = bases as [string, string];
    const created = await adminCall(a, 'POST', '/admin/v1/merchants', { name: 'Roller' });
    const key = created.body.key as { api_key: string; secret_key: string };
    assert.equal((await status(b, key)).body.error_code, 'order_not_found');
    const rolled = await adminCall(a, 'POST', `/admin/v1/keys/${key.api_key}/roll`, { overlap_seconds: 0 });
    const fresh = { api_key: key.api_key, secret_key: rolled.body.key.secret_key as string };
    assert.ok(await within2s(async () => (await status(b, fresh)).body.error_code === 'order_not_found'), 'B accepts the new secret');
    assert.equal((await status(b, key)).body.error_code, 'invalid_signature', 'and refuses the retired one');
  });
});
