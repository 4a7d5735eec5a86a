import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CLI, createScratchDatabase, postJson, gatewayFleet, type GatewayFleet, type GatewayProcess, type ScratchDatabase } from '../test-support/gateway-processes.js';

/**
 * `tijori worker`: webhook delivery in a process of its own, so that the
 * processes answering merchants (TIJORI_WEBHOOK_DISPATCHER_ENABLED=false)
 * never spend a slot on a slow receiver.
 */
describe('tijori worker delivers the webhooks that serve processes queue', () => {
  let database: ScratchDatabase;
  let fleet: GatewayFleet;
  let api: GatewayProcess;
  let worker: GatewayProcess;
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });

  before(async () => {
    database = await createScratchDatabase('tijori_worker');
    fleet = gatewayFleet({ databaseUrl: database.url, env: { TIJORI_WEBHOOK_POLL_INTERVAL_MS: '200' } });
    api = await fleet.start({ TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' });
    // The same environment file as serve, dispatcher setting included: a worker dispatches regardless.
    worker = await fleet.start({ TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' }, 'worker');
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
  });

  after(async () => {
    await fleet?.stopAll();
    receiver.closeAllConnections();
    receiver.close();
    await database?.drop();
  });

  const call = postJson;

  async function attemptsCounted(base: string): Promise<number> {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${fleet.adminToken}` } })).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('tijori_webhook_attempts_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  it('answers health and readiness on its port, and nothing of the merchant API', async () => {
    assert.equal((await fetch(`${worker.base}/healthz`)).status, 200);
    assert.equal((await fetch(`${worker.base}/readyz`)).status, 200);
    const create = await fetch(`${worker.base}/api/v3/pg/order/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(create.status, 404);
    assert.equal(((await create.json()) as { error_code: string }).error_code, 'route_not_found');
    assert.equal((await fetch(`${worker.base}/metrics`)).status, 401, 'metrics are behind the admin token');
  });

  it('sends the payment event queued by a serve process that does not dispatch', async () => {
    const merchant = await call(api.base, '/admin/v1/merchants', { name: 'Worker test' }, { bearer: fleet.adminToken });
    assert.equal(merchant.status, 201);
    const key = merchant.body.key as { api_key: string; secret_key: string };
    const { port } = receiver.address() as AddressInfo;
    const endpoint = await call(api.base, `/admin/v1/merchants/${merchant.body.merchant.id}/webhook-endpoints`, { url: `http://127.0.0.1:${port}/hook` }, { bearer: fleet.adminToken });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    const orderId = `w-${randomBytes(4).toString('hex')}`;
    const order = { order_id: orderId, order_amount: '10.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'W', email: 'w@example.com', phone: '9999999999' } };
    assert.equal((await call(api.base, '/api/v3/pg/order/create', order, { key })).status, 200);
    assert.equal((await call(api.base, '/api/v3/sandbox/order/simulate', { order_id: orderId, outcome: 'success' }, { key })).status, 200);

    for (let waited = 0; waited < 15000 && received.length === 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1);
    assert.equal(JSON.parse(received[0] as string).data.order_id, orderId);
    assert.equal(await attemptsCounted(worker.base), 1, 'the worker made the attempt');
    assert.equal(await attemptsCounted(api.base), 0, 'the serve process made none');
  });

  it('refuses to start on the embedded database, which belongs to one process', async () => {
    const child = spawn(process.execPath, [CLI, 'worker'], { env: { PATH: process.env.PATH ?? '', TIJORI_DATA_DIR: '/nonexistent-tijori' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 78);
    assert.match(stderr, /tijori worker needs DATABASE_URL/);
  });
});
