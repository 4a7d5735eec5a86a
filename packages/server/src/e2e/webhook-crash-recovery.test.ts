import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { TEST_DATABASE_URL } from '../test-support/backends.js';
import { freePort } from '../test-support/free-port.js';
import { postJson } from '../test-support/gateway-processes.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const ADMIN_TOKEN = `tja_${randomBytes(24).toString('hex')}`;

/**
 * At-least-once across a crash: a payment commits, the gateway process is
 * SIGKILLed before its webhook goes out, and a restarted gateway delivers it.
 * Real processes, a real receiver on loopback; on PostgreSQL and on the
 * embedded PGlite files (whose writes must survive the kill too).
 */
for (const store of ['postgres', 'pglite'] as const)
describe(`a webhook survives SIGKILL of the gateway between commit and delivery (${store})`, () => {
  const database = `tijori_crash_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  const masterKey = randomBytes(32).toString('base64');
  let databaseUrl = '';
  // One data directory for both lives: on PGlite it holds the database.
  const dataDir = mkdtempSync(join(tmpdir(), 'tijori-crash-'));
  let child: ChildProcess | undefined;

  async function startGateway(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        ...(store === 'postgres' ? { DATABASE_URL: databaseUrl } : {}),
        TIJORI_MASTER_KEY: masterKey,
        TIJORI_ADMIN_TOKEN: ADMIN_TOKEN,
        TIJORI_DATA_DIR: dataDir,
        TIJORI_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    for (let tries = 0; tries < 150; tries++) {
      if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) return base;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('gateway did not become ready');
  }

  before(async () => {
    if (store === 'postgres') await admin.unsafe(`CREATE DATABASE ${database}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    receiver.closeAllConnections();
    receiver.close();
    if (store === 'postgres') await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = postJson;

  it('delivers, after a restart, the event of a payment whose process was killed before sending it', async () => {
    // First life: the dispatcher is off, so the event can only be in the database when the process dies.
    const first = await startGateway({ TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' });
    const merchant = await call(first, '/admin/v1/merchants', { name: 'Crash test' }, { bearer: ADMIN_TOKEN });
    assert.equal(merchant.status, 201);
    const key = merchant.body.key as { api_key: string; secret_key: string };
    const { port } = receiver.address() as AddressInfo;
    const endpoint = await call(first, `/admin/v1/merchants/${merchant.body.merchant.id}/webhook-endpoints`, { url: `http://127.0.0.1:${port}/hook` }, { bearer: ADMIN_TOKEN });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    const secret = endpoint.body.secret as string;

    const orderId = `crash-${randomBytes(4).toString('hex')}`;
    const order = { order_id: orderId, order_amount: '499.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'A', email: 'a@example.com', phone: '9999999999' } };
    assert.equal((await call(first, '/api/v3/pg/order/create', order, { key })).status, 200);
    const paid = await call(first, '/api/v3/sandbox/order/simulate', { order_id: orderId, outcome: 'success' }, { key });
    assert.equal(paid.status, 200, 'the payment is acknowledged: it has committed');

    const dying = child as ChildProcess;
    dying.kill('SIGKILL');
    await once(dying, 'exit');
    assert.equal(received.length, 0, 'nothing was delivered before the crash');

    // Second life: a fresh process on the same database finds the pending delivery.
    await startGateway({});
    for (let waited = 0; waited < 15000 && received.length === 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1, 'delivered exactly once after the restart');
    const delivery = received[0] as (typeof received)[number];
    const event = JSON.parse(delivery.body);
    assert.equal(event.event, 'payment.success');
    assert.equal(event.data.order_id, orderId);
    const expected = createHmac('sha256', secret).update(delivery.body + String(delivery.headers['x-timestamp'])).digest('hex');
    assert.equal(delivery.headers['x-signature'], expected);
  });
});
