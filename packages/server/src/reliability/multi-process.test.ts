import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import postgres from 'postgres';
import { createScratchDatabase, type GatewayFleet, gatewayFleet, type ScratchDatabase } from '../test-support/gateway-processes.js';

type Key = { api_key: string; secret_key: string };
type Reply = { status: number; body: Record<string, any> };

/**
 * Three real `tijori serve` processes on one PostgreSQL database and one
 * Redis, as behind a load balancer (issue 8): whichever process a request
 * lands on, a signed request executes once, a key's budget is one budget,
 * and a key changed through one process stops (or starts) working on the
 * others without waiting for their caches to expire.
 */
describe('three gateway processes on one PostgreSQL and one Redis', () => {
  let scratch: ScratchDatabase;
  let fleet: GatewayFleet;
  let sql: postgres.Sql;
  let bases: [string, string, string];

  before(async () => {
    scratch = await createScratchDatabase('tijori_mp');
    sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    fleet = gatewayFleet({
      databaseUrl: scratch.url,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      env: {
        // A long cache TTL (the maximum), so only the change notification can explain a prompt refusal.
        TIJORI_KEY_CACHE_TTL_MS: '300000',
        // Every refused replay counts against the client's address, and this whole file is one address (127.0.0.1).
        TIJORI_AUTH_FAILURES_PER_MINUTE_PER_IP: '1000000',
      },
    });
    // All at once on the empty database, as an orchestrator starts replicas: one applies the migrations, the others wait and find them done.
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
    bases = fleet.processes.map((p) => p.base) as [string, string, string];
  });

  after(async () => {
    await fleet?.stopAll();
    await sql?.end();
    await scratch?.drop();
  });

  async function adminCall(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${fleet.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async function newMerchant(name: string): Promise<{ id: string; key: Key }> {
    const created = await adminCall(bases[0], 'POST', '/admin/v1/merchants', { name });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.merchant.id as string, key: created.body.key as Key };
  }

  /** Headers for one signing of `payload`: sending them twice is a replay. */
  function signed(key: Key, payload: string): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return { 'content-type': 'application/json', 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }) };
  }

  async function post(base: string, path: string, headers: Record<string, string>, payload: string): Promise<Reply> {
    const res = await fetch(base + path, { method: 'POST', headers, body: payload });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  let n = 0;
  /** A status request for an order that does not exist: order_not_found means the key was accepted. */
  async function status(base: string, key: Key): Promise<Reply> {
    const payload = JSON.stringify({ order_id: `none-${n++}` });
    return post(base, '/api/v3/pg/order/status', signed(key, payload), payload);
  }

  /** The bound we state: a change reaches every process when PostgreSQL delivers the NOTIFY, in practice milliseconds; we allow 2 s here. */
  async function within2s(check: () => Promise<boolean>): Promise<boolean> {
    for (let waited = 0; waited <= 2000; waited += 50) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  describe('a signed request sent to several processes at the same moment executes exactly once (the replay store is in Redis)', () => {
    const orderBody = (orderId: string) =>
      JSON.stringify({ order_id: orderId, order_amount: '10.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'R', email: 'r@example.com', phone: '9876543210' } });

    /** Sends one signing of a create to every base at once; returns each reply's outcome and the created order's id. */
    async function race(key: Key, orderId: string, targets: string[]) {
      const payload = orderBody(orderId);
      const headers = signed(key, payload);
      const replies = await Promise.all(targets.map((base) => post(base, '/api/v3/pg/order/create', headers, payload)));
      const outcomes = replies.map((r) => (r.status === 200 ? 'created' : `${r.status} ${r.body.error_code}`)).sort();
      const created = replies.find((r) => r.status === 200)?.body.return_data?.gateway_order_id as string | undefined;
      return { outcomes, created };
    }

    async function storedOrders(merchantId: string, prefix: string) {
      return sql<Array<{ order_ref: string; id: string }>>`SELECT order_ref, id FROM orders WHERE merchant_id = ${merchantId} AND order_ref LIKE ${`${prefix}%`}`;
    }

    it('pairs of processes, 60 rounds cycling through every pair: one 200 and one replayed_request each round, and one order each in the database', async () => {
      const merchant = await newMerchant('Replayed in pairs');
      const pairs: Array<[string, string]> = [[bases[0], bases[1]], [bases[1], bases[2]], [bases[2], bases[0]]];
      const created = new Map<string, string>();
      for (let round = 0; round < 60; round++) {
        const orderId = `pair-${round}`;
        const result = await race(merchant.key, orderId, pairs[round % 3] as [string, string]);
        assert.deepEqual(result.outcomes, ['401 replayed_request', 'created'], `round ${round}`);
        created.set(orderId, result.created as string);
      }
      const stored = await storedOrders(merchant.id, 'pair-');
      assert.equal(stored.length, 60, 'one row per round, none for the refused copies');
      for (const row of stored) assert.equal(row.id, created.get(row.order_ref), `${row.order_ref} is the order the 200 named`);
    });

    it('all three processes at once, 20 rounds: one 200 and two replayed_request each round, and one order each in the database', async () => {
      const merchant = await newMerchant('Replayed in threes');
      for (let round = 0; round < 20; round++) {
        const result = await race(merchant.key, `trio-${round}`, bases);
        assert.deepEqual(result.outcomes, ['401 replayed_request', '401 replayed_request', 'created'], `round ${round}`);
      }
      const stored = await storedOrders(merchant.id, 'trio-');
      assert.equal(stored.length, 20);
      assert.equal(new Set(stored.map((r) => r.order_ref)).size, 20);
    });
  });

  it('holds a key to one rate-limit budget across the three processes, however the requests are spread (the limiter is in Redis)', async () => {
    const merchant = await newMerchant('Budget');
    // 6 a minute refills one every 10 s: the burst below ends long before, so exactly the burst allowance is accepted.
    assert.equal((await adminCall(bases[0], 'PUT', `/admin/v1/keys/${merchant.key.api_key}/rate-limit`, { per_minute: 6 })).status, 200);
    // Uneven on purpose (12, 6, 3), all in flight together: a per-process budget would accept 6 + 6 + 3.
    const targets = [...Array(12).fill(bases[0]), ...Array(6).fill(bases[1]), ...Array(3).fill(bases[2])] as string[];
    const replies = await Promise.all(targets.map((base) => status(base, merchant.key)));
    const codes = replies.map((r) => r.body.error_code as string);
    assert.equal(codes.filter((c) => c === 'order_not_found').length, 6, codes.join(','));
    assert.equal(codes.filter((c) => c === 'rate_limited').length, 15, codes.join(','));
  });

  it('refuses a key revoked through one process on both others within the stated bound', async () => {
    const [a, b, c] = bases;
    const { key } = await newMerchant('Revoked');
    for (const base of [b, c]) assert.equal((await status(base, key)).body.error_code, 'order_not_found', `${base} knows the key (and caches it)`);
    assert.equal((await adminCall(a, 'POST', `/admin/v1/keys/${key.api_key}/revoke`)).status, 200);
    for (const base of [b, c]) {
      assert.ok(await within2s(async () => (await status(base, key)).body.error_code === 'revoked_api_key'), `${base} refuses the revoked key`);
    }
  });

  it('applies a roll made through one process on both others: the new secret works there at once, the retired one is refused', async () => {
    const [a, b, c] = bases;
    const { key } = await newMerchant('Roller');
    for (const base of [b, c]) assert.equal((await status(base, key)).body.error_code, 'order_not_found');
    const rolled = await adminCall(a, 'POST', `/admin/v1/keys/${key.api_key}/roll`, { overlap_seconds: 0 });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    const fresh = { api_key: key.api_key, secret_key: rolled.body.key.secret_key as string };
    for (const base of [b, c]) {
      assert.ok(await within2s(async () => (await status(base, fresh)).body.error_code === 'order_not_found'), `${base} accepts the new secret`);
      assert.equal((await status(base, key)).body.error_code, 'invalid_signature', `${base} refuses the retired one`);
    }
  });
});
